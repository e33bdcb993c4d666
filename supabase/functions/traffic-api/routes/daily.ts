/**
 * `GET /daily?from&to`: one row per calendar day of the range (days without data are zeros), for
 * charts. Summed over what the caller may see: their own data, or every team for an admin
 * (`user_id` narrows it to one targetologist). SQL: `public.traffic_api_daily` (money rounded to
 * its unit) over `public.traffic_daily_series`.
 *
 * @module
 */
import type { RouteContext } from "../context.ts";
import { callerAndQuery, unwrap } from "../db.ts";
import { conditionalJson } from "../etag.ts";
import { checkRange, rangeQuery } from "../validation.ts";

export async function getDaily(ctx: RouteContext): Promise<Response> {
  const { req, deps } = ctx;
  const { caller, q } = callerAndQuery(ctx, rangeQuery);
  checkRange(q.from, q.to);
  const timezone = deps.config.TRAFFIC_TIMEZONE;
  // At most MAX_RANGE_DAYS rows: one page.
  const data = unwrap(
    await caller.db.rpc("traffic_api_daily", {
      p_from: q.from,
      p_to: q.to,
      p_tz: timezone,
      p_user_id: q.user_id ?? null,
    }),
  );
  return await conditionalJson(req, {
    from: q.from,
    to: q.to,
    timezone,
    user_id: q.user_id ?? null,
    data,
  });
}
