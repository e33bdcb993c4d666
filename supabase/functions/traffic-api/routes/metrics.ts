/**
 * `GET /metrics` (the stored periods, view `traffic_api_metrics`) and `GET /metrics/range` (any
 * range up to MAX_RANGE_DAYS, computed on demand by the aggregation's own SQL,
 * `traffic_metrics_for_range`, shaped by `traffic_api_metrics_range`). Both read rows SQL has
 * shaped already (money rounded to its unit, as text), with `select=*`.
 *
 * @module
 */
import type { RouteContext } from "../context.ts";
import { callerOf, checkUserFilter, unwrap } from "../db.ts";
import { conditionalJson } from "../etag.ts";
import { checkRange, MAX_TEAMS_PAGE, parseQuery, type Period, PERIODS } from "../validation.ts";
import {
  metricsCompareQuery,
  metricsForRange,
  previousOfPeriods,
  previousRange,
  rangeCompareQuery,
  teamsOf,
} from "../compare.ts";
import { periodRange } from "../dates.ts";

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

interface Page {
  teams_total: number;
  data: Row[];
}

/** The teams of one answer: `limit` when asked, else every team (as before paging), up to 1,000. */
function pageOf(q: { limit?: number; offset: number }) {
  return { limit: q.limit ?? MAX_TEAMS_PAGE, offset: q.offset };
}

/** The paging fields of an answer: the page asked and where the next one starts. */
function pageInfo(q: { limit: number; offset: number }, teamsTotal: number) {
  const next = q.offset + q.limit;
  return {
    teams_total: teamsTotal,
    limit: q.limit,
    offset: q.offset,
    next_offset: next < teamsTotal ? next : null,
  };
}

export async function getMetrics({ req, url, deps }: RouteContext): Promise<Response> {
  const caller = callerOf(req, deps);
  const q = parseQuery(url, metricsCompareQuery);
  checkUserFilter(caller, q.user_id);
  const periods = q.period ?? [...PERIODS];
  const pg = pageOf(q);
  // One page of teams, shaped and paged in SQL (traffic_api_metrics_page: RLS decides).
  const page = unwrap(
    await caller.db.rpc("traffic_api_metrics_page", {
      p_periods: periods,
      p_user_id: q.user_id ?? null,
      p_limit: pg.limit,
      p_offset: pg.offset,
    }),
  ) as Page;
  const rows = page.data;
  const data = sortRows(rows, periods);
  const paging = pageInfo(pg, page.teams_total);
  if (q.compare !== "previous") return await conditionalJson(req, { periods, data, ...paging });
  const tz = deps.config.TRAFFIC_TIMEZONE;
  const now = deps.now?.() ?? new Date();
  // The previous periods of this page's teams only (and the total when the page has it).
  const previous = await previousOfPeriods(
    caller,
    periods,
    rows as unknown as { period: string; period_start: string; period_end: string }[],
    tz,
    teamsOf(rows),
    (p) => periodRange(p as Period, tz, now),
  );
  return await conditionalJson(req, { periods, data, ...paging, previous });
}

export async function getMetricsRange({ req, url, deps }: RouteContext): Promise<Response> {
  const caller = callerOf(req, deps);
  const q = parseQuery(url, rangeCompareQuery);
  checkUserFilter(caller, q.user_id);
  checkRange(q.from, q.to);
  const timezone = deps.config.TRAFFIC_TIMEZONE;
  const pg = pageOf(q);
  const page = unwrap(
    await caller.db.rpc("traffic_api_metrics_range_page", {
      p_from: q.from,
      p_to: q.to,
      p_tz: timezone,
      p_user_id: q.user_id ?? null,
      p_limit: pg.limit,
      p_offset: pg.offset,
    }),
  ) as Page;
  const rows = page.data;
  const data = sortRows(rows, rows.map((r) => r.period));
  const paging = pageInfo(pg, page.teams_total);
  const body = { from: q.from, to: q.to, timezone, data, ...paging };
  if (q.compare !== "previous") return await conditionalJson(req, body);
  const previous = await metricsForRange(
    caller,
    previousRange(q.from, q.to),
    timezone,
    teamsOf(rows),
  );
  return await conditionalJson(req, { ...body, previous });
}
