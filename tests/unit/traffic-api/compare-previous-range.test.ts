import assert from "node:assert/strict";
import { previousRange } from "../../../supabase/functions/traffic-api/compare.ts";
import { adminJwt, PAGE_FUNCTIONS, request, testHandler } from "./helpers.ts";

Deno.test("previousRange: the same number of days, ending the day before from", () => {
  assert.deepEqual(previousRange("2026-03-01", "2026-03-01"), {
    from: "2026-02-28",
    to: "2026-02-28",
  });
  assert.deepEqual(previousRange("2026-03-01", "2026-03-07"), {
    from: "2026-02-22",
    to: "2026-02-28",
  });
  // 30 days across a leap day.
  assert.deepEqual(previousRange("2028-03-01", "2028-03-30"), {
    from: "2028-01-31",
    to: "2028-02-29",
  });
});

Deno.test("compare=previous asks SQL for the previous period of the page's teams only", async () => {
  const a = "00000000-0000-4000-8000-00000000000a";
  const b = "00000000-0000-4000-8000-00000000000b";
  const row = (user_id: string | null) => ({
    user_id,
    team_name: user_id ? `Team ${user_id.slice(-1)}` : "All teams",
    period: "custom",
    period_start: "2026-01-05",
    period_end: "2026-01-06",
  });
  const { handler, sent } = testHandler((s) =>
    Response.json(
      PAGE_FUNCTIONS.test(s.url.pathname)
        ? { teams_total: 40, data: [row(a), row(b), row(null)] }
        : [],
    )
  );
  const res = await handler(
    request("/metrics/range?from=2026-01-05&to=2026-01-06&limit=2&compare=previous", adminJwt),
  );
  assert.equal(res.status, 200);
  await res.body?.cancel();
  const previous = sent.filter((s) =>
    s.url.pathname.startsWith("/rest/v1/rpc/traffic_api_metrics_range")
  )
    .filter((s) => !PAGE_FUNCTIONS.test(s.url.pathname));
  assert.equal(previous.length, 1, "one call for the previous period");
  assert.equal(previous[0].url.pathname, "/rest/v1/rpc/traffic_api_metrics_range_of");
  assert.deepEqual(JSON.parse(previous[0].body!), {
    p_from: "2026-01-03",
    p_to: "2026-01-04",
    p_tz: "Asia/Almaty",
    p_users: [a, b],
    p_total: true,
  });
});
