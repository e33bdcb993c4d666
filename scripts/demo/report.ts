/**
 * The dashboard's numbers per targetologist for today / 7d / 30d, read as the dashboard reads
 * them: `GET /functions/v1/traffic-api/metrics` with the admin's JWT (an admin gets every team's
 * rows and the team total, `user_id: null`).
 *
 * @module
 */
import { formatKzt, formatRoas, formatUsd, groupDigits, roundDecimal } from "../lib/format.ts";
import { TEAMS } from "./data.ts";

/** The columns of a `traffic_aggregated_metrics` row the table shows. */
export interface MetricRow {
  user_id: string | null;
  team_name: string;
  period: string;
  spend_usd: string | number;
  spend_kzt: string | number;
  leads: number;
  total_sales: number;
  total_revenue: string | number;
  roas: string | number | null;
  cpa_usd: string | number | null;
}

export const METRICS_PATH = "/functions/v1/traffic-api/metrics";

/** Reads `{ periods, data }` from traffic-api; throws with the answer when it is not a 200. */
export async function readMetrics(
  supabaseUrl: string,
  anonKey: string,
  jwt: string,
): Promise<MetricRow[]> {
  const res = await fetch(`${supabaseUrl}${METRICS_PATH}`, {
    headers: { apikey: anonKey, Authorization: `Bearer ${jwt}` },
  });
  const text = await res.text();
  if (!res.ok) {
    throw new Error(`traffic-api /metrics answered ${res.status}: ${text.slice(0, 300)}`);
  }
  const body = JSON.parse(text) as { data?: MetricRow[] };
  if (!Array.isArray(body.data)) {
    throw new Error(`traffic-api /metrics: no data in ${text.slice(0, 300)}`);
  }
  return body.data;
}

const PERIODS = ["today", "7d", "30d"];

/** The readable table: teams in the demo's order, then the team total. */
export function metricsTable(rows: MetricRow[]): string {
  const order = (r: MetricRow) => {
    const i = TEAMS.findIndex((t) => t.user_id === r.user_id);
    return r.user_id === null ? 99 : i < 0 ? 50 : i;
  };
  const sorted = [...rows].sort((a, b) =>
    order(a) - order(b) || a.team_name.localeCompare(b.team_name) ||
    PERIODS.indexOf(a.period) - PERIODS.indexOf(b.period)
  );
  const head = [
    "Team",
    "Period",
    "Spend USD",
    "Spend KZT",
    "Leads",
    "Sales",
    "Revenue ₸",
    "ROAS",
    "CPA $",
  ];
  const body = sorted.map((r) => [
    r.user_id === null ? "All teams" : r.team_name,
    r.period,
    formatUsd(r.spend_usd),
    formatKzt(r.spend_kzt),
    String(r.leads),
    String(r.total_sales),
    formatKzt(r.total_revenue),
    formatRoas(r.roas),
    r.cpa_usd === null ? "—" : `$${groupDigits(roundDecimal(r.cpa_usd, 2))}`,
  ]);
  const right = [false, false, true, true, true, true, true, true, true];
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    "  " + cells.map((c, i) => right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])).join("  ");
  const out = [line(head), line(widths.map((w) => "─".repeat(w)))];
  let last = "";
  for (const [i, row] of body.entries()) {
    if (last && row[0] !== last) out.push("");
    last = row[0];
    out.push(line(i > 0 && body[i - 1][0] === row[0] ? ["", ...row.slice(1)] : row));
  }
  return out.join("\n");
}
