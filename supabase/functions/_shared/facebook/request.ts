/**
 * One Graph API page request with the retry policy around it: transient failures back off
 * exponentially (bounded tries), throttles wait as the usage headers say (bounded, deferred when
 * the run's deadline cannot cover the wait), everything else is thrown at once as a typed error.
 * URLs are never logged: Meta's `paging.next` and our own requests carry the access token.
 *
 * @module
 */
import type { Logger } from "../logger.ts";
import {
  classifyGraphError,
  DeferredError,
  type FacebookError,
  InvalidResponseError,
  scrub,
  ThrottledError,
  TransientError,
} from "./errors.ts";
import { describeIssues, type InsightsPage, parseGraphJson, parseInsightsPage } from "./parse.ts";
import { backoffMs, parseUsageHeaders, throttleWait, type UsageInfo } from "./throttle.ts";
import type { FetchStats } from "./types.ts";

/** Retry and timing limits. All durations in ms. */
export interface RetryPolicy {
  /** Tries for a transient failure (5xx, code 2, network, timeout), the first one included. */
  maxAttempts: number;
  transientBaseMs: number;
  transientMaxMs: number;
  /** Minimum first throttle wait; doubles per retry. */
  throttleBaseMs: number;
  /** Longest single throttle wait; a longer regain hint defers the account. */
  maxThrottleWaitMs: number;
  /** Throttle retries before the `ThrottledError` is thrown. */
  maxThrottleRetries: number;
  /** Per-request timeout (also capped by the deadline). */
  requestTimeoutMs: number;
  /** After a page whose usage headers reach this percentage, pause before the next page. */
  pauseAtUsagePct: number;
}

/** Defaults sized for an edge function with 150–400 s of wall clock. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  transientBaseMs: 2_000,
  transientMaxMs: 30_000,
  throttleBaseMs: 30_000,
  maxThrottleWaitMs: 10 * 60_000,
  maxThrottleRetries: 2,
  requestTimeoutMs: 60_000,
  pauseAtUsagePct: 95,
};

/** Everything one request needs; built per account fetch by the client. */
export interface RequestContext {
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  random: () => number;
  logger: Logger;
  policy: RetryPolicy;
  /** Strings that must never leave the client (token, appsecret_proof). */
  secrets: readonly string[];
  signal?: AbortSignal;
  deadline?: number;
  /** Adds to the per-fetch and client-wide counters. */
  count: (field: keyof FetchStats, n?: number) => void;
}

interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** Sends one GET with a timeout; maps network failures and timeouts to `TransientError`. */
async function send(ctx: RequestContext, url: URL): Promise<RawResponse> {
  const remaining = ctx.deadline === undefined ? Infinity : ctx.deadline - ctx.now();
  const timeoutMs = Math.max(1, Math.min(ctx.policy.requestTimeoutMs, remaining));
  const ctrl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctrl.abort();
  }, timeoutMs);
  const onAbort = () => ctrl.abort(ctx.signal?.reason);
  ctx.signal?.addEventListener("abort", onAbort, { once: true });
  ctx.count("apiCalls");
  try {
    const res = await ctx.fetch(url, {
      signal: ctrl.signal,
      headers: { accept: "application/json" },
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  } catch (err) {
    if (ctx.signal?.aborted) throw ctx.signal.reason ?? err;
    if (timedOut) throw new TransientError(`Request timed out after ${timeoutMs} ms`);
    const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    const safe = scrub(detail.replace(/https?:\/\/[^\s)"'>]+/g, "[url]"), ctx.secrets, 200);
    throw new TransientError(`Network error: ${safe}`);
  } finally {
    clearTimeout(timer);
    ctx.signal?.removeEventListener("abort", onAbort);
  }
}

/** Throws `DeferredError` when the deadline has passed or `ms` more would pass it. */
function assertTime(ctx: RequestContext, ms: number, reason: FacebookError | null): void {
  if (ctx.deadline === undefined || ctx.now() + ms <= ctx.deadline) return;
  const what = ms > 0 ? `Waiting ${ms} ms would pass the run deadline` : "The run deadline passed";
  throw new DeferredError(
    `${what}${reason ? ` (${reason.message})` : ""}`,
    reason,
    ms || undefined,
  );
}

/** Sleeps `ms` after checking the deadline and counting the wait. */
export async function pause(ctx: RequestContext, ms: number, reason: FacebookError | null) {
  assertTime(ctx, ms, reason);
  ctx.count("waitedMs", ms);
  await ctx.sleep(ms);
  ctx.signal?.throwIfAborted();
}

/**
 * Pauses after a successful page when the usage headers say the quota is nearly spent, so the
 * next page does not trip a block that can last an hour. Defers when the deadline is too close.
 */
export async function pauseForUsage(ctx: RequestContext, usage: UsageInfo): Promise<void> {
  if (usage.maxUsagePct === null || usage.maxUsagePct < ctx.policy.pauseAtUsagePct) return;
  const ms = Math.min(
    ctx.policy.maxThrottleWaitMs,
    Math.max(usage.regainMs ?? 0, ctx.policy.throttleBaseMs),
  );
  ctx.logger.warn("facebook usage high, pausing", { usage_pct: usage.maxUsagePct, wait_ms: ms });
  await pause(ctx, ms, null);
}

function logRetry(ctx: RequestContext, err: FacebookError, attempt: number, waitMs: number) {
  ctx.logger.warn("facebook request failed, retrying", {
    kind: err.kind,
    http_status: err.httpStatus,
    code: err.code,
    subcode: err.subcode,
    fbtrace_id: err.fbtraceId,
    attempt,
    wait_ms: waitMs,
    error: err.message,
  });
}

/** Fetches and validates one insights page, retrying as the policy allows. */
export async function getPage(
  ctx: RequestContext,
  url: URL,
): Promise<{ page: InsightsPage; usage: UsageInfo }> {
  let transientTries = 0;
  let throttleTries = 0;
  for (;;) {
    ctx.signal?.throwIfAborted();
    assertTime(ctx, 0, null);
    let failure: FacebookError;
    let usage: UsageInfo = { maxUsagePct: null, regainMs: null, accessTier: null };
    try {
      const res = await send(ctx, url);
      usage = parseUsageHeaders(res.headers);
      let body: unknown = null;
      try {
        body = parseGraphJson(res.text);
      } catch { /* not JSON: classified below */ }
      const hasError = !!body && typeof body === "object" && "error" in body;
      if (res.status >= 200 && res.status < 300 && !hasError) {
        if (body === null) throw new TransientError(`Unreadable ${res.status} body from Meta`);
        const parsed = parseInsightsPage(body);
        if (!parsed.success) {
          throw new InvalidResponseError(
            `Unexpected insights page: ${describeIssues(parsed.error)}`,
          );
        }
        return { page: parsed.data, usage };
      }
      failure = classifyGraphError(res.status, body, ctx.secrets);
    } catch (err) {
      if (!(err instanceof TransientError)) throw err;
      failure = err;
    }

    if (failure instanceof ThrottledError) {
      if (usage.regainMs !== null) failure.retryAfterMs = usage.regainMs;
      if (throttleTries >= ctx.policy.maxThrottleRetries) throw failure;
      const { waitMs, exceedsCap } = throttleWait(usage, throttleTries, ctx.policy, ctx.random);
      if (exceedsCap) {
        throw new DeferredError(
          `Meta asks to wait ${waitMs} ms: ${failure.message}`,
          failure,
          waitMs,
        );
      }
      throttleTries++;
      logRetry(ctx, failure, throttleTries, waitMs);
      await pause(ctx, waitMs, failure);
    } else if (failure instanceof TransientError) {
      transientTries++;
      failure.attempts = transientTries;
      if (transientTries >= ctx.policy.maxAttempts) throw failure;
      const waitMs = backoffMs(
        transientTries - 1,
        ctx.policy.transientBaseMs,
        ctx.policy.transientMaxMs,
        ctx.random,
      );
      logRetry(ctx, failure, transientTries, waitMs);
      await pause(ctx, waitMs, failure);
    } else {
      throw failure;
    }
    ctx.count("retries");
  }
}
