/**
 * `GET /sync-status`: the latest `traffic_sync_history` run of each sync type the caller may see
 * (a targetologist: their own runs, e.g. a Facebook sync that found the token expired; an admin:
 * every run), and for admins the pg_cron jobs' last runs (`public.traffic_cron_status`, which
 * returns nothing to anyone else).
 *
 * @module
 */
import type { RouteContext } from "../context.ts";
import { callerAndQuery, unwrap } from "../db.ts";
import { conditionalJson } from "../etag.ts";
import { cronJob, selectFor, syncRun } from "../responses.ts";
import { syncStatusQuery } from "../validation.ts";

/** Monitoring should look fresh: always revalidate (cheap with the ETag). */
const CACHE_CONTROL = "private, no-cache";

export async function getSyncStatus(ctx: RouteContext): Promise<Response> {
  const { req } = ctx;
  const { caller, q } = callerAndQuery(ctx, syncStatusQuery);
  const [runs, cron] = await Promise.all([
    caller.db.rpc("traffic_latest_sync_runs", { p_user_id: q.user_id ?? null })
      .select(selectFor(syncRun)).order("sync_type"),
    caller.isAdmin
      ? caller.db.rpc("traffic_cron_status").select(selectFor(cronJob)).order("jobname")
      : Promise.resolve(null),
  ]);
  return await conditionalJson(req, {
    runs: unwrap(runs),
    cron: cron === null ? null : unwrap(cron),
  }, CACHE_CONTROL);
}
