/**
 * `GET /metrics` (the stored periods, view `traffic_api_metrics`) and `GET /metrics/range` (any
 * range up to MAX_RANGE_DAYS, computed on demand by the aggregation's own SQL,
 * `traffic_metrics_for_range`, shaped by `traffic_api_metrics_range`). Both read rows SQL has
 * shaped already (money rounded to its unit, as text), with `select=*`.
 *
 * @module
 */
import type { RouteContext } from "../context.ts";
import { type Caller, callerAndQuery, unwrap } from "../db.ts";
import { conditionalJson } from "../etag.ts";
import { checkRange, MAX_TEAMS_PAGE, type Period, PERIODS } from "../validation.ts";
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

/**
 * One page of teams from a page function of SQL (`traffic_api_metrics_page`,
 * `traffic_api_metrics_range_page`: paged, shaped and RLS-checked there) with `args`: its rows and
 * the answer's paging fields.
 */
async function teamsPage(
  caller: Caller,
  fn: string,
  args: Record<string, unknown>,
  q: { limit?: number; offset: number },
) {
  const pg = pageOf(q);
  const page = unwrap(
    await caller.db.rpc(fn, { ...args, p_limit: pg.limit, p_offset: pg.offset }),
  ) as Page;
  return { rows: page.data, paging: pageInfo(pg, page.teams_total) };
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

export async function getMetrics(ctx: RouteContext): Promise<Response> {
  const { req, deps } = ctx;
  const { caller, q } = callerAndQuery(ctx, metricsCompareQuery);
  const periods = q.period ?? [...PERIODS];
  const { rows, paging } = await teamsPage(caller, "traffic_api_metrics_page", {
    p_periods: periods,
    p_user_id: q.user_id ?? null,
  }, q);
  const data = sortRows(rows, periods);
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

export async function getMetricsRange(ctx: RouteContext): Promise<Response> {
  const { req, deps } = ctx;
  const { caller, q } = callerAndQuery(ctx, rangeCompareQuery);
  checkRange(q.from, q.to);
  const timezone = deps.config.TRAFFIC_TIMEZONE;
  const { rows, paging } = await teamsPage(caller, "traffic_api_metrics_range_page", {
    p_from: q.from,
    p_to: q.to,
    p_tz: timezone,
    p_user_id: q.user_id ?? null,
  }, q);
  const data = sortRows(rows, rows.map((r) => r.period));
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
