/**
 * The shapes of the responses, as zod schemas: `openapi.ts` documents them. The data routes read
 * rows SQL has already shaped to exactly these (migration 20261202200300: the view
 * `traffic_api_metrics` and the functions `traffic_api_metrics_range`, `traffic_api_daily`,
 * `traffic_api_campaigns`), so PostgREST serves `select=*` cheaply. Money and ratios are `numeric`
 * in SQL and travel as decimal strings, never floats, rounded once at that edge: money to its unit
 * (2 places: cents, tiyn), ratios to 4 places, percentages (meta_leads_gap_pct) to 2.
 *
 * @module
 */
import { z } from "../_shared/deps.ts";

/** A `numeric` value as a decimal string (exact), or null (e.g. ROAS without spend). */
export const decimal = z.string().nullable().meta({
  description: "Decimal string of a SQL numeric (exact). Null when the divisor of a ratio is zero.",
  examples: ["1234.56"],
});
/** Money rounded to its unit (cents of USD, tiyn of KZT): exactly 2 decimal places. */
export const money = z.string().regex(/^-?\d+\.\d{2}$/).nullable().meta({
  description: "Money as an exact decimal string rounded to its unit (2 places: cents of USD, " +
    "tiyn of KZT), half away from zero, from the unrounded SQL numeric. Null when the divisor " +
    "of a per-unit cost is zero.",
  examples: ["1234.56"],
});
/** A ratio (ROAS, CTR, a rate) rounded to 4 decimal places. */
export const ratio = z.string().regex(/^-?\d+\.\d{4}$/).nullable().meta({
  description: "Ratio as an exact decimal string rounded to 4 places, half away from zero. Null " +
    "when its divisor is zero.",
  examples: ["2.1734"],
});
/** A percentage rounded to 2 decimal places (the precision of a 4-place ratio). */
export const percent = z.string().regex(/^-?\d+\.\d{2}$/).nullable().meta({
  description: "Percentage as an exact decimal string rounded to 2 places, half away from zero. " +
    "Null when its divisor is zero.",
  examples: ["37.50"],
});
const count = z.number().int();
/** Meta-reported leads and their gap to the CRM's leads of the same row (issue 15). */
const metaLeads = {
  meta_leads: count.meta({
    description: "Leads Meta reports (per ad-day the first action type of the ad account's lead " +
      "list, traffic_meta_lead_settings; never a sum of overlapping types), by the ad account's day.",
  }),
  meta_leads_gap: count.meta({
    description: "meta_leads - leads: positive when Meta counts more leads than reached the CRM.",
  }),
  meta_leads_gap_pct: percent.meta({
    description: "meta_leads_gap as a percentage of meta_leads (2 places); null when " +
      "meta_leads is 0.",
  }),
};
const date = z.iso.date();
const timestamp = z.string().meta({ format: "date-time" });
/** What a /daily day and a /campaigns entity both report: spend, delivery, leads, sales, revenue. */
const activity = {
  spend_usd: money,
  spend_kzt: money,
  impressions: count,
  clicks: count,
  leads: count,
  sales: count,
  revenue: money,
};

export const metricsRow = z.object({
  user_id: z.guid().nullable().meta({ description: "Null on the team-wide total (admins only)." }),
  team_name: z.string().nullable(),
  period: z.string(),
  period_start: date,
  period_end: date,
  spend_usd: money,
  spend_kzt: money,
  exchange_rate: ratio,
  impressions: count,
  clicks: count,
  reach: count,
  leads: count,
  challenge3d_leads: count,
  express_leads: count,
  intensive1d_leads: count,
  challenge3d_prepayments: count,
  challenge3d_prepayment_revenue: money,
  challenge3d_full_payments: count,
  challenge3d_full_revenue: money,
  challenge3d_revenue: money,
  express_sales: count,
  express_revenue: money,
  intensive1d_sales: count,
  intensive1d_revenue: money,
  total_revenue: money,
  total_sales: count,
  roas: ratio,
  cpa_usd: money,
  ctr: ratio,
  cpc_usd: money,
  cpm_usd: money,
  cost_per_lead_usd: money,
  lead_to_sale_rate: ratio,
  unattributed_leads: count.nullable(),
  computed_at: timestamp.nullable(),
  updated_at: timestamp.nullable(),
  ...metaLeads,
});

export const dailyRow = z.object({
  date,
  ...activity,
  ...metaLeads,
});

export const campaignRow = z.object({
  user_id: z.guid(),
  team_name: z.string().nullable(),
  campaign_id: z.string(),
  campaign_name: z.string().nullable(),
  adset_id: z.string().nullable().meta({ description: "Null at level=campaign." }),
  adset_name: z.string().nullable(),
  ad_id: z.string().nullable().meta({ description: "Set at level=ad only." }),
  ad_name: z.string().nullable(),
  ...activity,
  roas: ratio,
  cpa_usd: money,
  ...metaLeads,
});

export const syncRun = z.object({
  id: count,
  sync_type: z.string(),
  started_at: timestamp,
  finished_at: timestamp.nullable(),
  success: z.boolean().nullable(),
  users_processed: count.nullable(),
  records_synced: count.nullable(),
  duration_ms: count.nullable(),
  error_message: z.string().nullable(),
  details: z.unknown(),
  user_id: z.guid().nullable(),
  triggered_by: z.string().nullable(),
});

export const cronJob = z.object({
  jobname: z.string(),
  schedule: z.string(),
  active: z.boolean(),
  last_run_status: z.string().nullable(),
  last_run_started_at: timestamp.nullable(),
  last_run_finished_at: timestamp.nullable(),
  last_run_message: z.string().nullable(),
});

export const alertRow = z.object({
  id: count,
  rule_key: z.string().meta({ description: "The rule (traffic_alert_rules), e.g. fb_token." }),
  subject_key: z.string().meta({ description: "What it is about, e.g. campaign:<user>:<id>." }),
  severity: z.enum(["critical", "warning"]),
  user_id: z.guid().nullable().meta({ description: "The team; null for project-wide alerts." }),
  team_name: z.string().nullable(),
  /** The number that tripped the rule (spend, cost per lead, count, minutes, days), exact. */
  figure: decimal,
  message: z.string().meta({ description: "Names the team, the figure and what to do." }),
  details: z.unknown(),
  opened_at: timestamp,
  last_seen_at: timestamp,
  last_notified_at: timestamp.nullable(),
  notify_count: count,
  resolved_at: timestamp.nullable(),
  resolution: z.string().nullable(),
});

export const settings = z.object({
  user_id: z.guid(),
  team_name: z.string(),
  fb_ad_accounts: z.array(z.string()),
  tracked_campaigns: z.array(z.string()),
  utm_sources: z.array(z.string()),
  is_active: z.boolean(),
  facebook_token: z.object({
    set: z.boolean(),
    expires_at: timestamp.nullable(),
    status: z.string().nullable().meta({
      description: "Set by fb-ads-sync: ok, or invalid after Meta rejected the token.",
    }),
    status_at: timestamp.nullable().meta({ description: "When fb-ads-sync set status." }),
  }).meta({ description: "Whether a token is stored; the token itself is never returned." }),
  created_at: timestamp,
  updated_at: timestamp,
});

export const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
});

export const health = z.object({ status: z.literal("ok"), database: z.enum(["up", "down"]) });

const range = { from: date, to: date, timezone: z.string() };

/** The page of a team list (/metrics, /metrics/range). */
const teamsPageInfo = {
  teams_total: z.number().int().meta({
    description: "Teams the caller may see across all pages (the team-wide total not counted).",
  }),
  limit: z.number().int().meta({ description: "Teams per page asked." }),
  offset: z.number().int().meta({ description: "Teams skipped." }),
  next_offset: z.number().int().nullable().meta({
    description: "The offset of the next page, or null on the last one.",
  }),
};
export const metricsResponse = z.object({
  periods: z.array(z.string()),
  data: z.array(metricsRow),
  ...teamsPageInfo,
});
export const rangeResponse = z.object({ ...range, data: z.array(metricsRow), ...teamsPageInfo });
export const dailyResponse = z.object({
  ...range,
  user_id: z.guid().nullable(),
  data: z.array(dailyRow),
});
export const campaignsResponse = z.object({
  ...range,
  level: z.enum(["campaign", "adset", "ad"]),
  data: z.array(campaignRow),
});
export const syncStatusResponse = z.object({
  runs: z.array(syncRun),
  cron: z.array(cronJob).nullable().meta({ description: "Admins only; null for others." }),
});

export const alertsResponse = z.object({
  status: z.enum(["open", "resolved", "all"]),
  data: z.array(alertRow),
});

/** The PostgREST `select` list of a row schema: decimals are cast to text so they stay exact. */
export function selectFor(row: z.ZodObject): string {
  const numeric = new Set<unknown>([decimal, money, ratio]);
  return Object.entries(row.shape).map(([k, s]) => numeric.has(s) ? `${k}::text` : k).join(",");
}
