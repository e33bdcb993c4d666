/**
 * Typed failures of the Meta Marketing API client, and the classifier that maps Meta's error body
 * (not only the HTTP status) to exactly one of them. Codes follow Meta's error-handling and
 * rate-limiting docs as summarised in `/work/shared/research/facebook-marketing-api.md` §3.
 *
 * Every message is scrubbed: the access token and `appsecret_proof` never appear in one.
 *
 * @module
 */
import { redactSecrets } from "../logger.ts";

/** What the caller should do with a failure, as a discriminator for `switch`. */
export type FacebookErrorKind =
  | "token_invalid" // skip the user, flag re-auth; no retry
  | "permission" // skip the account/user; no retry
  | "object_missing" // warn, continue with the other accounts
  | "throttled" // defer the account to the next run
  | "deferred" // the run's budget cannot cover the wait; defer the account
  | "data_too_large" // even one day at the smallest page is too much
  | "transient" // retries exhausted on a 5xx, code 2, network error or timeout
  | "invalid_response" // Meta answered something this client cannot read safely
  | "invalid_input" // bad account id, campaign id or date
  | "api_error"; // any other Meta error (unknown 4xx): no retry

/** Fields Meta puts into `{ "error": { ... } }`, as far as the client keeps them. */
export interface GraphErrorInfo {
  httpStatus?: number;
  code?: number;
  subcode?: number;
  type?: string;
  fbtraceId?: string;
  isTransient?: boolean;
}

/** Base class of every client failure. `message` is safe to log and store. */
export class FacebookError extends Error {
  readonly kind: FacebookErrorKind = "api_error";
  readonly httpStatus?: number;
  readonly code?: number;
  readonly subcode?: number;
  readonly fbtraceId?: string;
  /** Wait Meta asked for (or the client computed), when known. */
  retryAfterMs?: number;

  constructor(message: string, info: GraphErrorInfo = {}) {
    super(message);
    this.name = new.target.name;
    this.httpStatus = info.httpStatus;
    this.code = info.code;
    this.subcode = info.subcode;
    this.fbtraceId = info.fbtraceId;
  }
}

/** Any other Meta error, e.g. an unknown 4xx or `(#100) Invalid parameter`. Not retried. */
export class FacebookApiError extends FacebookError {
  override readonly kind: FacebookErrorKind = "api_error";
}
/** Code 190 (any subcode) or 102: the token is expired, revoked or invalid. Skip the user. */
export class TokenInvalidError extends FacebookError {
  override readonly kind: FacebookErrorKind = "token_invalid";
}
/** Code 10 or 200–299: a permission is missing. Not retried. */
export class PermissionError extends FacebookError {
  override readonly kind: FacebookErrorKind = "permission";
}
/** Code 100 / subcode 33: the account or object does not exist or is not visible. Warn, continue. */
export class ObjectMissingError extends FacebookError {
  override readonly kind: FacebookErrorKind = "object_missing";
}
/** Codes 4, 17, 32, 613, 80000–80014 (or HTTP 429): rate limited. Retried, then deferred. */
export class ThrottledError extends FacebookError {
  override readonly kind: FacebookErrorKind = "throttled";
}
/** The wait a retry needs would overrun the run's deadline: defer the account to the next run. */
export class DeferredError extends FacebookError {
  override readonly kind: FacebookErrorKind = "deferred";
  constructor(message: string, readonly reason: FacebookError | null, retryAfterMs?: number) {
    super(message, reason ?? {});
    this.retryAfterMs = retryAfterMs;
  }
}
/** Code 1 "reduce the amount of data", 100/1487534, 1/1504018: shrink the request. */
export class DataTooLargeError extends FacebookError {
  override readonly kind: FacebookErrorKind = "data_too_large";
}
/** Code 2, other code 1, HTTP 5xx, network errors, timeouts: backoff and retry (bounded). */
export class TransientError extends FacebookError {
  override readonly kind: FacebookErrorKind = "transient";
  /** Tries made when the error was finally thrown. */
  attempts = 1;
}
/** A 2xx body that is not the documented shape (bad id, bad decimal, missing `data`). */
export class InvalidResponseError extends FacebookError {
  override readonly kind: FacebookErrorKind = "invalid_response";
}
/** The caller passed an unusable account id, campaign id or date. */
export class InvalidInputError extends FacebookError {
  override readonly kind: FacebookErrorKind = "invalid_input";
}

/** Rate-limit codes (Meta rate-limiting docs; the same set Airbyte and OWOX use, plus 80009-80014). */
export function isThrottleCode(code: number | undefined): boolean {
  return code === 4 || code === 17 || code === 32 || code === 613 ||
    (code !== undefined && code >= 80000 && code <= 80014);
}

/**
 * Removes `secrets` (token, appsecret_proof) in every encoding (raw, URL-encoded, JSON-escaped,
 * base64: `redactSecrets`) and anything shaped like a secret from `text`, and trims it, so the
 * result can go into a log line, an error message or a history row. Redacted before trimming:
 * a cut can never leave a recognisable head of a secret behind.
 */
export function scrub(text: string, secrets: readonly string[] = [], max = 500): string {
  const out = redactSecrets(text, secrets);
  return out.length > max ? `${out.slice(0, max)}…` : out;
}

const num = (v: unknown): number | undefined => {
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  return typeof n === "number" && Number.isFinite(n) ? n : undefined;
};

/** Reads `{ "error": {...} }` from a parsed body; `null` when the body carries no error object. */
export function readGraphError(
  body: unknown,
): (GraphErrorInfo & { message: string }) | null {
  if (!body || typeof body !== "object" || !("error" in body)) return null;
  const e = (body as { error: unknown }).error;
  if (!e || typeof e !== "object") return { message: String(e ?? "Unknown error") };
  const o = e as Record<string, unknown>;
  return {
    message: typeof o.message === "string" ? o.message : "Unknown error",
    code: num(o.code),
    subcode: num(o.error_subcode),
    type: typeof o.type === "string" ? o.type : undefined,
    fbtraceId: typeof o.fbtrace_id === "string" ? o.fbtrace_id : undefined,
    isTransient: o.is_transient === true,
  };
}

const REDUCE_DATA = /reduce the amount of data/i;

/**
 * Maps one failed response to a typed error. `body` is the parsed JSON (or `null` when the body
 * was not JSON); `secrets` are scrubbed from the message. Precedence: token, permission, missing
 * object, throttle, size, transient, then `FacebookApiError` for any other 4xx.
 */
export function classifyGraphError(
  httpStatus: number,
  body: unknown,
  secrets: readonly string[] = [],
): FacebookError {
  const err = readGraphError(body);
  const info: GraphErrorInfo = { httpStatus, ...err };
  const where = `HTTP ${httpStatus}${err?.code !== undefined ? `, code ${err.code}` : ""}${
    err?.subcode !== undefined ? `/${err.subcode}` : ""
  }`;
  const text = scrub(err?.message ?? "no error body", secrets);
  const message = `Meta API error (${where}): ${text}`;
  const code = err?.code;
  const sub = err?.subcode;

  if (code === 190 || code === 102) return new TokenInvalidError(message, info);
  if (code === 10 || (code !== undefined && code >= 200 && code <= 299)) {
    return new PermissionError(message, info);
  }
  if (code === 100 && sub === 33) return new ObjectMissingError(message, info);
  if (isThrottleCode(code) || (code === undefined && httpStatus === 429)) {
    return new ThrottledError(message, info);
  }
  if (
    (code === 1 && (REDUCE_DATA.test(err?.message ?? "") || sub === 1504018)) ||
    (code === 100 && sub === 1487534)
  ) {
    return new DataTooLargeError(message, info);
  }
  if (
    code === 1 || code === 2 || code === 104 || code === 960 || code === 2601 ||
    err?.isTransient || httpStatus >= 500 || (!err && httpStatus === 408)
  ) {
    return new TransientError(message, info);
  }
  return new FacebookApiError(message, info);
}
