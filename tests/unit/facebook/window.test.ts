import assert from "node:assert/strict";
import {
  dateWindow,
  resolveSyncWindow,
  syncWindowSchema,
  WindowError,
} from "../../../supabase/functions/_shared/facebook/mod.ts";
import { localDate } from "../../../supabase/functions/_shared/dates.ts";

const NOW = new Date("2026-05-02T20:30:00Z"); // already May 3 in Almaty, still May 2 in Los Angeles

Deno.test("dateWindow() is today and the 2 previous days in the account's time zone", () => {
  assert.deepEqual(dateWindow({ now: NOW }), { since: "2026-05-01", until: "2026-05-03" });
  assert.deepEqual(dateWindow({ now: NOW, tz: "America/Los_Angeles" }), {
    since: "2026-04-30",
    until: "2026-05-02",
  });
  assert.deepEqual(dateWindow({ now: NOW, days: 30 }), {
    since: "2026-04-04",
    until: "2026-05-03",
  });
  assert.deepEqual(dateWindow({ now: new Date("2026-03-01T12:00:00Z"), days: 2, tz: "UTC" }), {
    since: "2026-02-28",
    until: "2026-03-01",
  });
  assert.throws(() => dateWindow({ days: 0 }), WindowError);
  assert.throws(() => localDate(NOW, "Mars/Olympus_Mons"), RangeError);
});

Deno.test("syncWindowSchema accepts {}, {days:N} and {since,until}", () => {
  for (
    const ok of [{}, { days: 1 }, { days: 30 }, { days: 93 }, {
      since: "2026-04-01",
      until: "2026-04-30",
    }, { since: "2026-05-01", until: "2026-05-01", user_id: "u" }]
  ) {
    assert.equal(syncWindowSchema.safeParse(ok).success, true, JSON.stringify(ok));
  }
});

Deno.test("syncWindowSchema rejects bad days, mixed modes, reversed, too long and unreal dates", () => {
  for (
    const bad of [
      { days: 0 },
      { days: 94 },
      { days: 2.5 },
      { days: "3" },
      { days: 3, since: "2026-05-01", until: "2026-05-02" },
      { since: "2026-05-01" },
      { since: "2026-05-02", until: "2026-05-01" },
      { since: "2026-01-01", until: "2026-04-04" }, // 94 days
      { since: "2026-02-30", until: "2026-03-01" },
      { since: "2026-5-1", until: "2026-05-02" },
    ]
  ) {
    assert.equal(syncWindowSchema.safeParse(bad).success, false, JSON.stringify(bad));
  }
});

Deno.test("resolveSyncWindow() applies the default, days, or the explicit range with Meta's limits", () => {
  const at = { now: NOW, tz: "Asia/Almaty" };
  assert.deepEqual(resolveSyncWindow({}, at), { since: "2026-05-01", until: "2026-05-03" });
  assert.deepEqual(resolveSyncWindow({ days: 30 }, at).since, "2026-04-04");
  assert.deepEqual(resolveSyncWindow({ since: "2023-04-03", until: "2023-05-01" }, at), {
    since: "2023-04-03",
    until: "2023-05-01",
  });
  assert.throws(
    () => resolveSyncWindow({ since: "2023-04-02", until: "2023-05-01" }, at),
    /not be before 2023-04-03/,
  );
  assert.throws(
    () => resolveSyncWindow({ since: "2026-05-03", until: "2026-05-04" }, at),
    WindowError,
  );
});
