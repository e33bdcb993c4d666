import assert from "node:assert/strict";
import { previousRange } from "../../../supabase/functions/traffic-api/compare.ts";

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
