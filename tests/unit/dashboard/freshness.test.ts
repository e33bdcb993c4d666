/** The dashboard's freshness rules: failed runs, stale sources, failed cron jobs, tokens. */
import assert from "node:assert/strict";
import { assessFreshness } from "../../../dashboard/src/freshness.js";

const now = Date.parse("2026-12-02T06:00:00Z");
const iso = (minutesAgo: number) => new Date(now - minutesAgo * 60e3).toISOString();
const run = (sync_type: string, minutesAgo: number, success: boolean | null, error?: string) => ({
  id: 1,
  sync_type,
  started_at: iso(minutesAgo),
  finished_at: success === null ? null : iso(minutesAgo - 1),
  success,
  users_processed: null,
  records_synced: null,
  duration_ms: null,
  error_message: error ?? null,
  details: null,
  user_id: null,
  triggered_by: null,
});
const when = (s: string) => s;

Deno.test("freshness: fresh runs give no warning", () => {
  const { sources, warnings } = assessFreshness(
    { runs: [run("facebook_ads", 30, true), run("aggregation", 5, true)], cron: null },
    null,
    when,
    now,
  );
  assert.deepEqual(warnings, []);
  assert.deepEqual(sources.map((s) => s.state), ["ok", "ok"]);
});

Deno.test("freshness: a failed run, a stale source and a failed cron job are warnings", () => {
  const { sources, warnings } = assessFreshness(
    {
      runs: [
        run("facebook_ads", 10, false, "token expired"),
        run("aggregation", 45, true),
        run("amocrm_replay", 5, false, "2 event(s) still failing"),
      ],
      cron: [{
        jobname: "fb-ads-sync",
        schedule: "5 * * * *",
        active: true,
        last_run_status: "failed",
        last_run_started_at: iso(50),
        last_run_finished_at: iso(50),
        last_run_message: "boom",
      }],
    },
    null,
    when,
    now,
  );
  assert.deepEqual(warnings.map((w) => w.kind).sort(), ["cron", "failed", "failed", "stale"]);
  assert.ok(warnings.some((w) => w.text.includes("token expired")));
  assert.ok(warnings.some((w) => w.text.includes("2 event(s) still failing")));
  assert.equal(sources.find((s) => s.type === "aggregation")?.state, "stale");
});

Deno.test("freshness: no Facebook sync yet, and token invalid / expiring / expired", () => {
  const settings = (status: string | null, daysLeft: number) => ({
    facebook_token: {
      set: true,
      expires_at: new Date(now + daysLeft * 864e5).toISOString(),
      status,
      status_at: null,
    },
  });
  const empty = { runs: [], cron: null };
  // deno-lint-ignore no-explicit-any
  const kinds = (s: any) => assessFreshness(empty, s, when, now).warnings.map((w) => w.kind);
  assert.deepEqual(kinds(null), ["never"]);
  assert.deepEqual(kinds(settings("invalid", 30)), ["never", "token"]);
  assert.deepEqual(kinds(settings("ok", 2)), ["never", "token"]);
  assert.deepEqual(kinds(settings("ok", -1)), ["never", "token"]);
  assert.deepEqual(kinds(settings("ok", 30)), ["never"]);
});
