/**
 * Rate-limit headers → how long to wait. Meta reports usage on every response, errors included:
 *
 * - `x-business-use-case-usage`: `{ "<business id>": [{ type, call_count, total_cputime,
 *   total_time, estimated_time_to_regain_access }] }`; the regain time is in MINUTES.
 * - `x-fb-ads-insights-throttle`: `{ app_id_util_pct, acc_id_util_pct, ads_api_access_tier }`.
 * - `x-app-usage`: `{ call_count, total_time, total_cputime }` (percent of the app's quota).
 * - `x-ad-account-usage`: `{ acc_id_util_pct, reset_time_duration, ads_api_access_tier }`; the
 *   reset duration is in SECONDS.
 *
 * Values may arrive as strings (`"75.5"`); they are coerced. Malformed headers are ignored.
 *
 * @module
 */

/** What the rate-limit headers of one response say. */
export interface UsageInfo {
  /** Highest utilisation percentage in any header, or `null` when no header carried one. */
  maxUsagePct: number | null;
  /** Longest "regain access" hint in ms (BUC regain time, or account reset when at 100%). */
  regainMs: number | null;
  /** `ads_api_access_tier` when reported (e.g. `standard_access`). */
  accessTier: string | null;
}

type Obj = Record<string, unknown>;

function parseJsonHeader(headers: Headers, name: string): unknown {
  const raw = headers.get(name);
  if (!raw) return null;
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}

function toNumber(v: unknown): number | null {
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  return typeof n === "number" && Number.isFinite(n) && n >= 0 ? n : null;
}

const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);

/** Parses the four usage headers into one summary. Never throws. */
export function parseUsageHeaders(headers: Headers): UsageInfo {
  const pcts: number[] = [];
  const regains: number[] = [];
  let tier: string | null = null;
  const pct = (v: unknown) => {
    const n = toNumber(v);
    if (n !== null) pcts.push(n);
  };
  const takeTier = (o: Obj) => {
    if (typeof o.ads_api_access_tier === "string") tier = o.ads_api_access_tier;
  };

  const buc = parseJsonHeader(headers, "x-business-use-case-usage");
  if (isObj(buc)) {
    for (const entries of Object.values(buc)) {
      for (const e of Array.isArray(entries) ? entries : [entries]) {
        if (!isObj(e)) continue;
        pct(e.call_count);
        pct(e.total_cputime);
        pct(e.total_time);
        takeTier(e);
        const minutes = toNumber(e.estimated_time_to_regain_access);
        if (minutes !== null && minutes > 0) regains.push(minutes * 60_000);
      }
    }
  }
  const insights = parseJsonHeader(headers, "x-fb-ads-insights-throttle");
  if (isObj(insights)) {
    pct(insights.app_id_util_pct);
    pct(insights.acc_id_util_pct);
    takeTier(insights);
  }
  const app = parseJsonHeader(headers, "x-app-usage");
  if (isObj(app)) {
    pct(app.call_count);
    pct(app.total_time);
    pct(app.total_cputime);
  }
  const acc = parseJsonHeader(headers, "x-ad-account-usage");
  if (isObj(acc)) {
    const util = toNumber(acc.acc_id_util_pct);
    if (util !== null) pcts.push(util);
    takeTier(acc);
    const reset = toNumber(acc.reset_time_duration);
    if (util !== null && util >= 100 && reset !== null && reset > 0) regains.push(reset * 1000);
  }
  return {
    maxUsagePct: pcts.length ? Math.max(...pcts) : null,
    regainMs: regains.length ? Math.max(...regains) : null,
    accessTier: tier,
  };
}

/**
 * Exponential backoff with ±20% jitter: `base * 2^attempt`, never above `max`.
 * `attempt` counts from 0; `random` returns [0, 1).
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number) {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.min(maxMs, Math.round(exp * (0.8 + 0.4 * random())));
}

/** Limits for throttle waits. */
export interface ThrottlePolicy {
  /** Minimum wait before the first throttle retry; doubled (with jitter) per retry. */
  throttleBaseMs: number;
  /** Longest single wait; a longer regain time defers the account instead of sleeping. */
  maxThrottleWaitMs: number;
}

/**
 * The wait before retry number `attempt` (0-based) of a throttled request: at least the jittered
 * exponential backoff, at least Meta's regain hint. Returns `{ waitMs, exceedsCap }`; when the
 * regain hint exceeds `maxThrottleWaitMs` the caller should defer rather than sleep.
 */
export function throttleWait(
  usage: UsageInfo,
  attempt: number,
  policy: ThrottlePolicy,
  random: () => number,
): { waitMs: number; exceedsCap: boolean } {
  const backoff = backoffMs(attempt, policy.throttleBaseMs, policy.maxThrottleWaitMs, random);
  const regain = usage.regainMs ?? 0;
  if (regain > policy.maxThrottleWaitMs) return { waitMs: regain, exceedsCap: true };
  return {
    waitMs: Math.min(policy.maxThrottleWaitMs, Math.max(backoff, regain)),
    exceedsCap: false,
  };
}
