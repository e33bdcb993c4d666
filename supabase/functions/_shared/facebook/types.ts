/**
 * Shapes shared by the Meta Marketing API client: one insights row as the library hands it to
 * callers, the request parameters of one account fetch, and the run counters.
 *
 * @module
 */

/**
 * One action type of an ad-day as Meta reports it (Ads Insights `actions`), with the matching
 * `cost_per_action_type` entry. `value` and `cost_per_action` are exact decimal strings.
 */
export interface InsightAction {
  action_type: string;
  value: string;
  /** In the account currency; null when `cost_per_action_type` has no entry for the type. */
  cost_per_action: string | null;
}

/**
 * One daily, ad-level insights row, validated and normalised.
 *
 * - Ids are strings of digits (they exceed `Number.MAX_SAFE_INTEGER`; never convert them).
 * - `spend` is an exact decimal string in the account currency (`"14.35"`, `"0"`), never a float.
 * - `impressions` and `clicks` are safe integers; a metric Meta omits reads as `0`.
 * - `reach` is `null` when Meta omits it (reach is not additive, so no default is invented).
 * - `actions`: every action type Meta reported for the ad-day, once each (Meta omits the field
 *   when there are none: `[]`).
 */
export interface InsightRow {
  account_id: string;
  account_name: string | null;
  account_currency: string | null;
  campaign_id: string;
  campaign_name: string | null;
  adset_id: string;
  adset_name: string | null;
  ad_id: string;
  ad_name: string | null;
  /** `YYYY-MM-DD` in the ad account's time zone. */
  date_start: string;
  /** Equal to `date_start` with `time_increment=1`. */
  date_stop: string;
  spend: string;
  impressions: number;
  clicks: number;
  reach: number | null;
  actions: InsightAction[];
}

/** Parameters of one `fetchAccountInsights()` call: one ad account, one date range. */
export interface FetchInsightsParams {
  /** The user's access token. Sent to Meta only; never logged or put into an error. */
  token: string;
  /** Ad account id, with or without the `act_` prefix. */
  accountId: string;
  /** First day, `YYYY-MM-DD`, inclusive. */
  since: string;
  /** Last day, `YYYY-MM-DD`, inclusive. */
  until: string;
  /** Tracked campaign ids; empty or absent means every campaign of the account. */
  campaignIds?: readonly string[];
  /** Aborts the fetch (not retried); the abort reason is rethrown. */
  signal?: AbortSignal;
  /**
   * The run's deadline in the client's `now()` clock (epoch ms). A wait or request that cannot
   * finish before it throws `DeferredError`, so the caller defers the account to the next run.
   */
  deadline?: number;
}

/** Counters of one account fetch, or (on the client) of every fetch it made. */
export interface FetchStats {
  /** HTTP requests sent to Meta, failed ones and retries included. */
  apiCalls: number;
  /** Successful pages received (empty pages included). */
  pages: number;
  /** Rows yielded. */
  rows: number;
  /** Requests repeated after a transient failure or a throttle. */
  retries: number;
  /** Total milliseconds requested from `sleep()` (backoff, throttle waits, usage pauses). */
  waitedMs: number;
}

/** A fresh zeroed counter set. */
export function emptyStats(): FetchStats {
  return { apiCalls: 0, pages: 0, rows: 0, retries: 0, waitedMs: 0 };
}

/** The page stream of one account: iterate it for row batches; `stats` fills in as it runs. */
export interface AccountInsights extends AsyncIterable<InsightRow[]> {
  readonly stats: FetchStats;
  /**
   * Whether iterating on will ask Meta for another page, as of the batch just yielded: false at
   * the last batch (so a caller can hand its request slot on without waiting for its own work on
   * the batches). True before the first batch, and whenever unsure.
   */
  readonly more: boolean;
}
