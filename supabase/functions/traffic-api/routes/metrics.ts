/**
 * `GET /metrics` (the stored periods, view `traffic_api_metrics`) and `GET /metrics/range` (any
 * range up to MAX_RANGE_DAYS, computed on demand by the aggregation's own SQL,
 * `traffic_metrics_for_range`, shaped by `traffic_api_metrics_range`). Both read rows SQL has
 * shaped already (money rounded to its unit, as text), with `select=*`.
 *
 * @module
 */
import type { RouteContext } from "../context.ts";
import { callerOf, checkUserFilter, fetchAll } from "../db.ts";
import { conditionalJson } from "../etag.ts";
import { checkRange, metricsQuery, parseQuery, PERIODS, rangeQuery } from "../validation.ts";

/** One collator for every sort (String#localeCompare builds its comparison state per call). */
const collator = new Intl.Collator();

interface Row {
  user_id: string | null;
  team_name: string | null;
  period: string;
}

/** Period order as asked, then members by team name, the team-wide total last. */
function sortRows<T extends Row>(rows: T[], periods: readonly string[]): T[] {
  const rank = (p: string) => periods.indexOf(p);
  return rows.sort((a, b) =>
    rank(a.period) - rank(b.period) ||
    Number(a.user_id === null) - Number(b.user_id === null) ||
    collator.compare(a.team_name ?? "", b.team_name ?? "") ||
    collator.compare(a.user_id ?? "", b.user_id ?? "")
  );
}

export async function getMetrics({ req, url, deps }: RouteContext): Promise<Response> {
  const caller = callerOf(req, deps);
  const q = parseQuery(url, metricsQuery);
  checkUserFilter(caller, q.user_id);
  const periods = q.period ?? [...PERIODS];
  const rows = await fetchAll<Row>((from, to) => {
    let query = caller.db.from("traffic_api_metrics").select("*")
      .in("period", periods);
    if (q.user_id) query = query.eq("user_id", q.user_id);
    return query.order("user_id", { nullsFirst: true }).order("period").range(from, to);
  });
  return await conditionalJson(req, { periods, data: sortRows(rows, periods) });
}

export async function getMetricsRange({ req, url, deps }: RouteContext): Promise<Response> {
  const caller = callerOf(req, deps);
  const q = parseQuery(url, rangeQuery);
  checkUserFilter(caller, q.user_id);
  checkRange(q.from, q.to);
  const timezone = deps.config.TRAFFIC_TIMEZONE;
  const rows = await fetchAll<Row>((from, to) => {
    let query = caller.db
      .rpc("traffic_api_metrics_range", { p_from: q.from, p_to: q.to, p_tz: timezone });
    if (q.user_id) query = query.eq("user_id", q.user_id);
    return query.order("user_id", { nullsFirst: true }).range(from, to);
  });
  const data = sortRows(rows, rows.map((r) => r.period));
  return await conditionalJson(req, { from: q.from, to: q.to, timezone, data });
}
