/**
 * `GET /alerts`: the alert records the caller may see (RLS on `traffic_alerts`: a targetologist
 * their own team's, an admin every team's and the project-wide ones), open ones by default
 * (`status=resolved|all` for the history), critical first, newest first. The alerts are opened
 * and resolved by `public.traffic_alerts_evaluate()` (pg_cron job `traffic-alerts`); this route
 * only reads them. Never returns a destination or its URL.
 *
 * @module
 */
import type { RouteContext } from "../context.ts";
import { callerAndQuery, unwrap } from "../db.ts";
import { conditionalJson } from "../etag.ts";
import { alertRow, selectFor } from "../responses.ts";
import { alertsQuery } from "../validation.ts";

/** Monitoring should look fresh: always revalidate (cheap with the ETag). */
const CACHE_CONTROL = "private, no-cache";

export async function getAlerts(ctx: RouteContext): Promise<Response> {
  const { caller, q } = callerAndQuery(ctx, alertsQuery);
  let query = caller.db.from("traffic_alerts").select(selectFor(alertRow));
  if (q.status === "open") query = query.is("resolved_at", null);
  if (q.status === "resolved") query = query.not("resolved_at", "is", null);
  if (q.user_id) query = query.eq("user_id", q.user_id);
  const data = unwrap(
    await query.order("severity").order("opened_at", { ascending: false })
      .order("id", {
        ascending: false,
      }).limit(q.limit),
  );
  return await conditionalJson(ctx.req, { status: q.status, data }, CACHE_CONTROL);
}
