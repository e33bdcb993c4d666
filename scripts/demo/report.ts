/**
 * The dashboard's numbers per targetologist for today / 7d / 30d, read as the dashboard reads
 * them: through `traffic-api` `GET /metrics` with the admin's JWT when that route exists, else
 * `traffic_aggregated_metrics` through PostgREST with the same JWT (RLS lets an admin read every
 * row, the team total included).
 *
 * @module
 */
import { formatKzt, formatRoas, formatUsd, groupDigits, roundDecimal } from "../lib/format.ts";
import { TEAMS } from "./data.ts";

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

const COLUMNS =
  "user_id,team_name,period,spend_usd,spend_kzt,leads,total_sales,total_revenue,roas,cpa_usd";

/** Rows of a traffic-api `/metrics` answer, if it is shaped like the table (array or {data}). */
function rowsOf(body: unknown): MetricRow[] | null {
  const list = Array.isArray(body)
    ? body
    : Array.isArray((body as { data?: unknown })?.data)
    ? (body as { data: unknown[] }).data
    : Array.isArray((body as { metrics?: unknown })?.metrics)
    ? (body as { metrics: unknown[] }).metrics
    : null;
  if (!list || list.length === 0) return null;
  const ok = list.every((r) =>
    r && typeof r === "object" && "period" in r && "team_name" in r && "spend_usd" in r
  );
  return ok ? list as MetricRow[] : null;
}

/** Reads the metrics; `source` says which path answered. */
export async function readMetrics(
  supabaseUrl: string,
  anonKey: string,
  jwt: string,
): Promise<{ rows: MetricRow[]; source: string }> {
  const headers = { apikey: anonKey, Authorization: `Bearer ${jwt}` };
  const api = await fetch(`${supabaseUrl}/functions/v1/traffic-api/metrics`, { headers });
  const text = await api.text();
  if (api.ok) {
    try {
      const rows = rowsOf(JSON.parse(text));
      if (rows) return { rows, source: "traffic-api GET /functions/v1/traffic-api/metrics" };
    } catch {
      // not JSON: fall back
    }
  }
  const rest = await fetch(
    `${supabaseUrl}/rest/v1/traffic_aggregated_metrics?select=${COLUMNS}`,
    { headers },
  );
  if (!rest.ok) throw new Error(`PostgREST answered ${rest.status}: ${await rest.text()}`);
  return {
    rows: await rest.json(),
    source:
      `PostgREST /rest/v1/traffic_aggregated_metrics (traffic-api /metrics answered ${api.status}; it has not landed yet)`,
  };
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
