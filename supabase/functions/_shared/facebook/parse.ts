/**
 * Reading Graph API bodies without losing precision: ids and metrics are kept as their source
 * text even if a body ever carries them as JSON numbers, money stays an exact decimal string, and
 * every row is validated with zod before it reaches the caller.
 *
 * @module
 */
import { z } from "../deps.ts";
import type { InsightAction, InsightRow } from "./types.ts";
import { normalizeDecimal } from "../decimal.ts";

/** Keys whose JSON numbers are replaced by their exact source text while parsing. */
const EXACT_KEYS = new Set([
  "id",
  "account_id",
  "campaign_id",
  "adset_id",
  "ad_id",
  "spend",
  "impressions",
  "clicks",
  "reach",
  "value",
]);

type ReviverContext = { source?: string };

/**
 * A JSON number under one of `EXACT_KEYS` somewhere in the text. Meta sends ids and metrics as
 * strings, so this almost never matches and the page takes plain `JSON.parse` (a reviver costs
 * several times the parse). A match only means the slow, exact path; a miss (say a key spelled with
 * `\u` escapes) leaves a number that validation then rejects, never a rounded id.
 */
const NUMBER_UNDER_EXACT_KEY =
  /"(?:id|account_id|campaign_id|adset_id|ad_id|spend|impressions|clicks|reach|value)"\s*:\s*-?\d/;

/**
 * `JSON.parse` that keeps ids and metrics exact: a number under one of the id/metric keys becomes
 * its source text (`23854695759200549` → `"23854695759200549"`, `14.350` → `"14.350"`), using the
 * reviver `context.source` (ES2025 JSON.parse source text access). Without that support, a safe
 * integer becomes its decimal string and an unsafe one stays a number, which validation rejects.
 * Throws `SyntaxError` on malformed JSON.
 */
export function parseGraphJson(text: string): unknown {
  if (!NUMBER_UNDER_EXACT_KEY.test(text)) return JSON.parse(text);
  return JSON.parse(text, function (key: string, value: unknown, context?: ReviverContext) {
    if (typeof value !== "number" || !EXACT_KEYS.has(key)) return value;
    if (context?.source) return context.source;
    return Number.isSafeInteger(value) ? String(value) : value;
  });
}

/** A Graph id: a string of digits. */
const GRAPH_ID = /^\d{1,32}$/;
/** A string of digits (a Graph id). */
export const graphIdSchema = z.string().regex(GRAPH_ID, "expected a string of digits");

/** A non-negative decimal: digits, optionally a point and more digits. */
const DECIMAL = /^\d+(?:\.\d+)?$/;
const decimalText = z.string().regex(DECIMAL, "expected a non-negative decimal string");
const COUNT = /^\d{1,16}$/;
const countText = z.string().regex(COUNT, "expected a non-negative safe integer string");
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
const isoDay = z.string().regex(ISO_DAY, "expected YYYY-MM-DD");
const CURRENCY = /^[A-Z]{3}$/;
const name = z.string().nullish();

/** An action type: letters, digits, `_`, `.`, `:` and `-` (e.g. `offsite_conversion.fb_pixel_lead`). */
const ACTION_TYPE = /^[A-Za-z0-9_.:-]{1,200}$/;
const actionType = z.string().regex(ACTION_TYPE, "expected an action type");

/**
 * One Ads Action Stats entry of `actions` / `cost_per_action_type`: `action_type` and `value` (a
 * numeric string). Other keys (attribution-window values, action breakdowns) are not kept.
 */
const actionStat = z.object({ action_type: actionType, value: decimalText });
const actionStatList = z.array(actionStat).optional();
type ActionStat = z.infer<typeof actionStat>;

/** Whether `v` is a list `actionStatList` accepts, checked in one plain loop (no issue objects). */
function isPlainActionStats(v: unknown): v is ActionStat[] {
  if (!Array.isArray(v)) return false;
  for (const e of v) {
    if (typeof e !== "object" || e === null) return false;
    const { action_type: t, value } = e as Record<string, unknown>;
    if (typeof t !== "string" || !ACTION_TYPE.test(t)) return false;
    if (typeof value !== "string" || !DECIMAL.test(value)) return false;
  }
  return true;
}

/**
 * A list of action stats; absent (Meta omits empty lists) reads as none. The same rules as
 * `actionStatList`, but a valid list (every list Meta sends) is checked in one loop: zod's
 * per-entry objects made the two lists most of a page's validation (commit 1dad20d).
 * Anything else goes through `actionStatList` for its issues, paths included.
 */
const actionStats = z.unknown().transform((v, ctx): ActionStat[] | undefined => {
  if (v === undefined || isPlainActionStats(v)) return v;
  const r = actionStatList.safeParse(v);
  if (r.success) return r.data;
  for (const i of r.error.issues) {
    ctx.addIssue({ code: "custom", message: i.message, path: i.path });
  }
  return z.NEVER;
});

/**
 * `actions` joined with `cost_per_action_type` by action type, each type once (a repeated type
 * keeps its last entry), values canonical. A cost without an action is dropped: the table holds
 * what Meta counted.
 */
function joinActions(
  actions: z.infer<typeof actionStats>,
  costs: z.infer<typeof actionStats>,
): InsightAction[] {
  if (!actions?.length) return [];
  const cost = new Map((costs ?? []).map((c) => [c.action_type, normalizeDecimal(c.value)!]));
  const byType = new Map<string, InsightAction>();
  for (const a of actions) {
    byType.delete(a.action_type);
    byType.set(a.action_type, {
      action_type: a.action_type,
      value: normalizeDecimal(a.value)!,
      cost_per_action: cost.get(a.action_type) ?? null,
    });
  }
  return [...byType.values()];
}

/** A count already checked to be digits: a number, or null past `Number.MAX_SAFE_INTEGER`. */
const safeCount = (s: string) => {
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
};

/** A raw row whose fields passed the checks of `insightRowSchema` (before its transform). */
interface CheckedRow {
  account_id: string;
  account_name?: string | null;
  account_currency?: string | null;
  campaign_id: string;
  campaign_name?: string | null;
  adset_id: string;
  adset_name?: string | null;
  ad_id: string;
  ad_name?: string | null;
  date_start: string;
  date_stop: string;
  spend?: string;
  actions?: ActionStat[];
  cost_per_action_type?: ActionStat[];
}

/**
 * The `InsightRow` of a checked raw row and its counts: defaults filled, `spend` canonical,
 * missing names as null. The one mapping, for the schema's transform and the plain path alike.
 */
function insightRow(
  r: CheckedRow,
  impressions: number,
  clicks: number,
  reach: number | null,
): InsightRow {
  return {
    account_id: r.account_id,
    account_name: r.account_name ?? null,
    account_currency: r.account_currency ?? null,
    campaign_id: r.campaign_id,
    campaign_name: r.campaign_name ?? null,
    adset_id: r.adset_id,
    adset_name: r.adset_name ?? null,
    ad_id: r.ad_id,
    ad_name: r.ad_name ?? null,
    date_start: r.date_start,
    date_stop: r.date_stop,
    spend: r.spend === undefined ? "0" : normalizeDecimal(r.spend)!,
    impressions,
    clicks,
    reach,
    actions: joinActions(r.actions, r.cost_per_action_type),
  };
}

/**
 * One raw insights row as Meta sends it (metrics as strings), mapped to `InsightRow`. Field by
 * field the schema only checks (cheap: 150,000 rows a run); one transform per row then fills the
 * defaults and normalises (`spend` canonical, counts as numbers, missing names as null).
 */
export const insightRowSchema = z.object({
  account_id: graphIdSchema,
  account_name: name,
  account_currency: z.string().regex(CURRENCY).nullish(),
  campaign_id: graphIdSchema,
  campaign_name: name,
  adset_id: graphIdSchema,
  adset_name: name,
  ad_id: graphIdSchema,
  ad_name: name,
  date_start: isoDay,
  date_stop: isoDay,
  spend: decimalText.optional(),
  impressions: countText.optional(),
  clicks: countText.optional(),
  reach: countText.nullish(),
  actions: actionStats,
  cost_per_action_type: actionStats,
}).transform((r, ctx): InsightRow => {
  const impressions = r.impressions === undefined ? 0 : safeCount(r.impressions);
  const clicks = r.clicks === undefined ? 0 : safeCount(r.clicks);
  const reach = r.reach == null ? null : safeCount(r.reach);
  for (
    const [k, v, given] of [["impressions", impressions, r.impressions], [
      "clicks",
      clicks,
      r.clicks,
    ], ["reach", reach, r.reach]] as const
  ) {
    if (v === null && given != null) {
      ctx.addIssue({
        code: "custom",
        path: [k],
        message: "expected a non-negative safe integer string",
      });
    }
  }
  return insightRow(r, impressions ?? 0, clicks ?? 0, reach);
}) satisfies z.ZodType<InsightRow, unknown>;

/** One page of `/insights`: `data` plus optional cursor paging. */
export const insightsPageSchema = z.object({
  data: z.array(insightRowSchema),
  paging: z.object({
    cursors: z.object({ before: z.string().optional(), after: z.string().optional() })
      .partial().optional(),
    next: z.string().optional(),
  }).optional(),
});

/** A validated page. */
export type InsightsPage = z.infer<typeof insightsPageSchema>;

const pagingSchema = insightsPageSchema.shape.paging;
const isId = (v: unknown): v is string => typeof v === "string" && GRAPH_ID.test(v);
const isDay = (v: unknown): v is string => typeof v === "string" && ISO_DAY.test(v);
/** Absent, or a string `re` accepts (`optional`); `nullish` lets null through too. */
const isOptional = (v: unknown, re: RegExp | null, nullish = false) =>
  v === undefined || (nullish && v === null) ||
  (typeof v === "string" && (re === null || re.test(v)));
/** A count that is absent (null when `nullish`) or a safe integer string; false otherwise. */
const plainCount = (v: unknown, absent: number | null, nullish = false): number | null | false =>
  v === undefined || (nullish && v === null)
    ? absent
    : typeof v === "string" && COUNT.test(v)
    ? (safeCount(v) ?? false)
    : false;

/**
 * The row `insightRowSchema` makes of `v` when every field passes its checks plainly, else null
 * (then the schema itself decides, with its issues). The same checks, field by field, in one
 * function without zod's per-field parse objects: zod's object parse was most of the client's
 * CPU on a page (docs/benchmarks.md, fbsync seventh session). It accepts nothing the schema
 * refuses (tests/unit/facebook/parse.test.ts compares the two on every field's edge cases).
 */
function plainInsightRow(v: unknown): InsightRow | null {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return null;
  const r = v as Record<string, unknown>;
  if (
    !isId(r.account_id) || !isId(r.campaign_id) || !isId(r.adset_id) || !isId(r.ad_id) ||
    !isOptional(r.account_name, null, true) || !isOptional(r.campaign_name, null, true) ||
    !isOptional(r.adset_name, null, true) || !isOptional(r.ad_name, null, true) ||
    !isOptional(r.account_currency, CURRENCY, true) || !isDay(r.date_start) ||
    !isDay(r.date_stop) || !isOptional(r.spend, DECIMAL) ||
    !(r.actions === undefined || isPlainActionStats(r.actions)) ||
    !(r.cost_per_action_type === undefined || isPlainActionStats(r.cost_per_action_type))
  ) return null;
  const impressions = plainCount(r.impressions, 0);
  const clicks = plainCount(r.clicks, 0);
  const reach = plainCount(r.reach, null, true);
  if (impressions === false || impressions === null) return null;
  if (clicks === false || clicks === null || reach === false) return null;
  return insightRow(r as unknown as CheckedRow, impressions, clicks, reach);
}

/**
 * `insightsPageSchema.safeParse(body)`, with the same answer: a page whose rows all pass the
 * checks plainly (every page Meta sends) is read by `plainInsightRow`; anything else by the
 * schema, for its issues.
 */
export function parseInsightsPage(body: unknown): z.ZodSafeParseResult<InsightsPage> {
  if (typeof body === "object" && body !== null && !Array.isArray(body)) {
    const { data, paging } = body as Record<string, unknown>;
    if (Array.isArray(data)) {
      const rows: InsightRow[] = [];
      for (const v of data) {
        const row = plainInsightRow(v);
        if (row === null) return insightsPageSchema.safeParse(body);
        rows.push(row);
      }
      if (paging === undefined) return { success: true, data: { data: rows } };
      const p = pagingSchema.safeParse(paging);
      if (p.success) return { success: true, data: { data: rows, paging: p.data } };
    }
  }
  return insightsPageSchema.safeParse(body);
}

/** A short, value-free description of a validation failure (paths and messages only). */
export function describeIssues(error: z.ZodError, max = 3): string {
  return error.issues.slice(0, max)
    .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ");
}
