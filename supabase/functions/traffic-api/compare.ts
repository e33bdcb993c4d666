/**
 * `compare=previous` on `GET /metrics` and `GET /metrics/range`: the same metrics for the
 * previous equal period (the same number of days, ending the day before the period starts),
 * computed by the aggregation's own SQL (`traffic_metrics_for_range`'s definition, through
 * `traffic_api_metrics_range_of`) with the caller's JWT, so RLS decides the previous rows exactly
 * as it decides the current ones, and for the teams of the current answer only (a page of 50
 * teams computes 50 teams' previous rows, not every team's). The change itself is left to the
 * client (it is display arithmetic over two exact decimals).
 *
 * Additive: without `compare` the routes answer exactly as before.
 *
 * @module
 */
import { addDays, daysInclusive } from "../_shared/dates.ts";
import { z } from "../_shared/deps.ts";
import { HttpError } from "../_shared/http.ts";
import { type Caller, unwrap } from "./db.ts";
import { metricsResponse, metricsRow, rangeResponse } from "./responses.ts";
import { metricsQuery, rangeQuery, teamsPage } from "./validation.ts";

/**
 * The SQL the previous numbers come from: the rows of the given teams (and the team total) of
 * `traffic_metrics_for_range`, shaped as the API answers (money rounded to its unit, ratios to 4
 * places, as text), as one JSON array; only those teams are computed.
 */
const RANGE_FUNCTION = "traffic_api_metrics_range_of";

/** The teams of a current answer: their user_ids, and whether it has the team total's rows. */
export interface Teams {
  users: string[];
  total: boolean;
}

/** The teams whose previous rows an answer made of `rows` shows. */
export function teamsOf(rows: readonly { user_id: string | null }[]): Teams {
  const users = new Set<string>();
  let total = false;
  for (const r of rows) {
    if (r.user_id === null) total = true;
    else users.add(r.user_id);
  }
  return { users: [...users], total };
}

const compare = z.enum(["previous"]).optional().meta({
  description: "previous: also return the metrics of the previous equal period (the same " +
    "number of days, ending the day before the period starts) in `previous`.",
});

/** The query of `/metrics` with `compare`. */
export const metricsCompareQuery = metricsQuery.extend({ compare });
/** The query of `/metrics/range` with `compare` (`/daily` keeps the plain range query). */
export const rangeCompareQuery = rangeQuery.extend({ compare, ...teamsPage });

const date = z.iso.date();

/** The previous equal period's rows, or why they could not be computed. */
export const previousBlock = z.object({
  from: date,
  to: date,
  data: z.array(metricsRow).nullable().meta({
    description: "Null when the previous period could not be computed (see error).",
  }),
  error: z.object({ code: z.string(), message: z.string() }).optional().meta({
    description: "Why data is null: exchange_rate_missing (a day of the previous period has no " +
      "rate yet) or invalid_range (the previous period lies outside the dates SQL accepts).",
  }),
});
export type PreviousBlock = z.infer<typeof previousBlock>;

export const metricsCompareResponse = metricsResponse.extend({
  previous: z.array(previousBlock.extend({ period: z.string() })).optional().meta({
    description: "With compare=previous: per period asked, its previous equal period.",
  }),
});
export const rangeCompareResponse = rangeResponse.extend({
  previous: previousBlock.optional().meta({
    description: "With compare=previous: the previous equal period of from..to.",
  }),
});

/** The range of the same length that ends the day before `from`. */
export function previousRange(from: string, to: string): { from: string; to: string } {
  const days = daysInclusive(from, to);
  return { from: addDays(from, -days), to: addDays(from, -1) };
}

/**
 * The metrics of `range` as `traffic_metrics_for_range` computes them for the caller, for
 * `teams` only (the current answer's). A missing exchange rate in that range is reported in the
 * block, not as an error of the whole answer: the current numbers are still right.
 */
export async function metricsForRange(
  caller: Caller,
  range: { from: string; to: string },
  tz: string,
  teams: Teams,
): Promise<PreviousBlock> {
  try {
    const data = unwrap(
      await caller.db.rpc(RANGE_FUNCTION, {
        p_from: range.from,
        p_to: range.to,
        p_tz: tz,
        p_users: teams.users,
        p_total: teams.total,
      }),
    ) as z.infer<typeof metricsRow>[];
    return { ...range, data };
  } catch (err) {
    // A previous period the SQL cannot compute (no rate yet, or before the dates it accepts,
    // e.g. a range starting 2000-01-01) leaves the current numbers standing.
    if (
      err instanceof HttpError &&
      (err.code === "exchange_rate_missing" || err.code === "invalid_range")
    ) {
      return { ...range, data: null, error: { code: err.code, message: err.message } };
    }
    throw err;
  }
}

interface PeriodRow {
  period: string;
  period_start: string;
  period_end: string;
}

/**
 * For `/metrics`: the previous equal period of each stored period asked. The stored rows' own
 * `period_start`/`period_end` define "the period" (what the numbers shown cover); a period with
 * no stored row falls back to `fallback(period)`.
 */
export async function previousOfPeriods(
  caller: Caller,
  periods: readonly string[],
  rows: readonly PeriodRow[],
  tz: string,
  teams: Teams,
  fallback: (period: string) => { from: string; to: string },
): Promise<(PreviousBlock & { period: string })[]> {
  return await Promise.all(periods.map(async (period) => {
    const row = rows.find((r) => r.period === period);
    const current = row ? { from: row.period_start, to: row.period_end } : fallback(period);
    const block = await metricsForRange(caller, previousRange(current.from, current.to), tz, teams);
    return { period, ...block };
  }));
}
