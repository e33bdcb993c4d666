/**
 * The zod schemas that validate every query string and body, and the helpers that turn a failure
 * into a 400. `openapi.ts` documents the API from these very schemas.
 *
 * @module
 */
import { daysInclusive } from "../_shared/dates.ts";
import { z } from "../_shared/deps.ts";
import { HttpError } from "../_shared/http.ts";
import { parseInput } from "../_shared/validation.ts";

export const PERIODS = ["today", "7d", "30d"] as const;
export type Period = (typeof PERIODS)[number];
export const LEVELS = ["campaign", "adset", "ad"] as const;
export type Level = (typeof LEVELS)[number];
/** The longest custom range, in calendar days counted inclusively (a leap year fits). */
export const MAX_RANGE_DAYS = 366;
/** The largest page of /campaigns (one more is fetched to see whether a next page exists). */
export const MAX_CAMPAIGN_ROWS = 500;
/** Query parameters that may repeat or hold a comma-separated list. */
const LIST_PARAMS = new Set(["period"]);

const period = z.enum(PERIODS);
/** A whole number given as plain digits (no sign, exponent or hex), between min and max. */
const integer = (min: number, max: number) =>
  z.string().regex(/^\d{1,9}$/, "expected a whole number").transform(Number)
    .pipe(z.number().min(min).max(max));
const date = z.iso.date().meta({
  description: "A calendar date (YYYY-MM-DD) in TRAFFIC_TIMEZONE, inclusive.",
  examples: ["2026-01-01"],
});
const userId = z.guid().meta({
  description: "Admins only: restrict to this targetologist. A non-admin may pass only their own " +
    "id (another id is 403).",
});

/** The largest page of teams on /metrics and /metrics/range (SQL: private.traffic_check_page). */
export const MAX_TEAMS_PAGE = 1000;
/** `limit` / `offset` of the team lists (/metrics, /metrics/range). */
export const teamsPage = {
  limit: integer(1, MAX_TEAMS_PAGE).optional().meta({
    description: `Teams per page, 1 to ${MAX_TEAMS_PAGE}: each team's rows, in team-name ` +
      "order; the team-wide total's rows are in every page. Without it the answer holds every " +
      `team, as before paging (up to ${MAX_TEAMS_PAGE}; next_offset says when there are more). ` +
      "The dashboard asks for 50.",
  }),
  offset: integer(0, 100_000).default(0).meta({
    description: "Teams to skip (the previous response's next_offset).",
  }),
};

export const metricsQuery = z.strictObject({
  period: z.string().transform((s) => [...new Set(s.split(",").map((p) => p.trim()))])
    .pipe(z.array(period).min(1)).optional().meta({
      description:
        "today, 7d or 30d; a comma-separated list or the parameter repeated. All three " +
        "when absent.",
      examples: ["today,7d"],
    }),
  user_id: userId.optional(),
  ...teamsPage,
});

export const rangeQuery = z.strictObject({ from: date, to: date, user_id: userId.optional() });

export const campaignsQuery = z.strictObject({
  period: period.optional().meta({
    description: "today, 7d or 30d; or give from and to instead. 7d when neither is given.",
  }),
  from: date.optional(),
  to: date.optional(),
  level: z.enum(LEVELS).default("campaign").meta({
    description: "Rows per campaign, adset or ad.",
  }),
  user_id: userId.optional(),
  limit: integer(1, MAX_CAMPAIGN_ROWS).default(100).meta({
    description: `Rows per page, 1 to ${MAX_CAMPAIGN_ROWS}.`,
  }),
  offset: integer(0, 100_000).default(0).meta({
    description: "Rows to skip (the previous response's next_offset).",
  }),
});

export const syncStatusQuery = z.strictObject({ user_id: userId.optional() });

export const MAX_ALERT_ROWS = 200;

export const alertsQuery = z.strictObject({
  status: z.enum(["open", "resolved", "all"]).default("open").meta({
    description: "open (default): alerts whose condition still holds; resolved; or all.",
  }),
  user_id: userId.optional(),
  limit: integer(1, MAX_ALERT_ROWS).default(100).meta({
    description: `At most this many alerts (1 to ${MAX_ALERT_ROWS}), critical first, newest first.`,
  }),
});

/** Routes without parameters still reject unknown ones, so typos surface. */
export const noQuery = z.strictObject({});

const adAccount = z.string().regex(/^(act_)?\d{1,20}$/, "expected act_<digits> or digits");
const campaignId = z.string().regex(/^\d{1,25}$/, "expected a numeric campaign id");
const unique = <T>(items: T[]) => [...new Set(items)];

export const settingsUpdate = z.strictObject({
  fb_ad_accounts: z.array(adAccount).max(100).transform((ids) =>
    unique(ids.map((id) => id.startsWith("act_") ? id : `act_${id}`))
  ).optional().meta({
    description: "Facebook ad account ids; bare digits are stored as act_<digits>.",
    examples: [["act_964264512447589"]],
  }),
  tracked_campaigns: z.array(campaignId).max(1000).transform(unique).optional().meta({
    description: "Campaign ids to sync (empty: every campaign of the accounts).",
  }),
  utm_sources: z.array(z.string().trim().min(1).max(200)).max(100).transform(unique).optional()
    .meta({ description: "utm_source values that identify this targetologist's traffic." }),
  facebook_access_token: z.string().regex(/^[A-Za-z0-9_.|-]{20,2048}$/, "not a Facebook token")
    .nullable().optional().meta({
      description: "Write-only: stored, never returned. null removes it.",
      writeOnly: true,
    }),
  facebook_token_expires_at: z.iso.datetime({ offset: true }).nullable().optional().meta({
    description: "When the token expires (ISO 8601 with offset), or null.",
  }),
}).refine((body) => Object.keys(body).length > 0, { message: "give at least one field" }).meta({
  description: "Fields to change; omitted fields keep their value.",
  minProperties: 1,
});
export type SettingsUpdate = z.infer<typeof settingsUpdate>;

/**
 * Validates the query string with `schema`. A list parameter (`period`) may repeat; any other
 * parameter given twice, an unknown one, or a bad value is a 400 `invalid_query`.
 */
export function parseQuery<S extends z.ZodType>(url: URL, schema: S): z.output<S> {
  const raw: Record<string, string> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    if (values.length > 1 && !LIST_PARAMS.has(key)) {
      throw new HttpError(400, "invalid_query", `${key}: given more than once`);
    }
    raw[key] = values.join(",");
  }
  return parseInput(schema, raw, { code: "invalid_query", where: "query" });
}

/** Validates a parsed JSON body with `schema`; a failure is a 400 `invalid_body`. */
export function parseBody<S extends z.ZodType>(body: unknown, schema: S): z.output<S> {
  return parseInput(schema, body, { code: "invalid_body", where: "body" });
}

/** Days from `from` to `to`, both included (dates already validated as YYYY-MM-DD). */
export function daysInRange(from: string, to: string): number {
  return daysInclusive(from, to);
}

/** 400 `invalid_range` when `from` is after `to`, 400 `range_too_large` past MAX_RANGE_DAYS. */
export function checkRange(from: string, to: string): void {
  const days = daysInRange(from, to);
  if (days < 1) {
    throw new HttpError(400, "invalid_range", `from (${from}) is after to (${to}).`);
  }
  if (days > MAX_RANGE_DAYS) {
    throw new HttpError(
      400,
      "range_too_large",
      `The range covers ${days} days; at most ${MAX_RANGE_DAYS} are allowed.`,
    );
  }
}
