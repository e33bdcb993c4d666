/**
 * `GET /daily?from&to`: one row per calendar day of the range (days without data are zeros), for
 * charts. Summed over what the caller may see: their own data, or every team for an admin
 * (`user_id` narrows it to one targetologist). SQL: `public.traffic_api_daily_answer` (one call:
 * the rows serialised, and the snapshot they were read in) over `public.traffic_api_daily` (money
 * rounded to its unit) over `public.traffic_daily_series`.
 *
 * @module
 */
import type { RouteContext } from "../context.ts";
import { answerResponse } from "../cache.ts";
import { type Answer, callerAndQuery, unwrap } from "../db.ts";
import { checkRange, rangeQuery } from "../validation.ts";

export async function getDaily(ctx: RouteContext): Promise<Response> {
  const { req, deps } = ctx;
  const { caller, q } = callerAndQuery(ctx, rangeQuery);
  checkRange(q.from, q.to);
  const timezone = deps.config.TRAFFIC_TIMEZONE;
  // One call: the rows (at most MAX_RANGE_DAYS) serialised by SQL, and the snapshot they were
  // read in (for the response cache).
  const answer = unwrap(
    await caller.db.rpc("traffic_api_daily_answer", {
      p_from: q.from,
      p_to: q.to,
      p_tz: timezone,
      p_user_id: q.user_id ?? null,
    }),
  ) as Answer;
  // The body JSON.stringify({ from, to, timezone, user_id, data }) would give, the rows as SQL
  // serialised them (tests/integration/traffic-api-answers.test.ts compares the two).
  const head = { from: q.from, to: q.to, timezone, user_id: q.user_id ?? null };
  return await answerResponse(req, head, answer);
}
