/**
 * Meta Marketing API insights client: daily, ad-level rows per ad account, typed errors, retries
 * with backoff and a deadline, date windows in the account's time zone. Pure library code: no
 * database, no `console`; `fetch`, `sleep`, `now`, `random` and the logger are injected.
 *
 * ```ts
 * const fb = createFacebookClient({ logger, ...parseFacebookEnv(Deno.env.toObject()) });
 * const { since, until } = dateWindow({ days: 3, tz: "Asia/Almaty" });
 * for await (const rows of fb.fetchAccountInsights({ token, accountId, since, until })) {
 *   await upsert(rows);
 * }
 * ```
 *
 * @module
 */
export { createFacebookClient, type FacebookClient, type FacebookClientOptions } from "./client.ts";
export {
  ALL_AD_EFFECTIVE_STATUSES,
  buildFiltering,
  INSIGHT_FIELDS,
  normalizeAccountId,
} from "./query.ts";
export {
  DEFAULT_API_VERSION,
  DEFAULT_GRAPH_URL,
  type FacebookEnv,
  facebookEnvSchema,
  parseFacebookEnv,
} from "./config.ts";
export {
  classifyGraphError,
  DataTooLargeError,
  DeferredError,
  FacebookApiError,
  FacebookError,
  type FacebookErrorKind,
  InvalidInputError,
  InvalidResponseError,
  isThrottleCode,
  ObjectMissingError,
  PermissionError,
  scrub,
  ThrottledError,
  TokenInvalidError,
  TransientError,
} from "./errors.ts";
export { insightRowSchema, parseGraphJson } from "./parse.ts";
export { appSecretProof } from "./proof.ts";
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./request.ts";
export { backoffMs, parseUsageHeaders, throttleWait, type UsageInfo } from "./throttle.ts";
export type {
  AccountInsights,
  FetchInsightsParams,
  FetchStats,
  InsightAction,
  InsightRow,
} from "./types.ts";
export {
  type DateRange,
  dateWindow,
  DEFAULT_WINDOW_DAYS,
  MAX_MONTHS_BACK,
  MAX_WINDOW_DAYS,
  resolveSyncWindow,
  type SyncWindowInput,
  syncWindowSchema,
  WindowError,
} from "./window.ts";
