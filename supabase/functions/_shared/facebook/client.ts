/**
 * The Meta Marketing API insights client: one `/act_<id>/insights` request per ad account
 * (daily, ad level, tracked campaigns, ARCHIVED and DELETED ads included), pages streamed to the
 * caller, page size halved and then the date range split when Meta says the answer is too big.
 *
 * @module
 */
import { type Logger, rememberSecret } from "../logger.ts";
import { DEFAULT_API_VERSION, DEFAULT_GRAPH_URL } from "./config.ts";
import { DataTooLargeError, InvalidInputError, InvalidResponseError } from "./errors.ts";
import { buildFiltering, DIGITS, INSIGHT_FIELDS, normalizeAccountId } from "./query.ts";
import type { InsightsPage } from "./parse.ts";
import { appSecretProof } from "./proof.ts";
import {
  DEFAULT_RETRY_POLICY,
  getPage,
  pauseForUsage,
  type RequestContext,
  type RetryPolicy,
} from "./request.ts";
import {
  type AccountInsights,
  emptyStats,
  type FetchInsightsParams,
  type FetchStats,
  type InsightRow,
} from "./types.ts";
import { addDays, daysInclusive, isIsoDay } from "./window.ts";

/** Construction options; everything with a side effect is injectable for tests. */
export interface FacebookClientOptions {
  logger: Logger;
  /** Base URL, default `https://graph.facebook.com`. */
  graphUrl?: string;
  /** API version such as `v27.0`, default `DEFAULT_API_VERSION`. */
  apiVersion?: string;
  /** When set, every request carries `appsecret_proof`. */
  appSecret?: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Clock in epoch ms, the same clock as `FetchInsightsParams.deadline`. */
  now?: () => number;
  /** Jitter source in [0, 1). */
  random?: () => number;
  /** Rows per page requested (`limit`), default 500. */
  pageSize?: number;
  /** Smallest page size to halve down to on "reduce the amount of data", default 25. */
  minPageSize?: number;
  retry?: Partial<RetryPolicy>;
}

/** The client. `stats` counts every request made through it. */
export interface FacebookClient {
  /**
   * Streams the account's insights for `since..until` as row batches (one per non-empty page).
   * Errors surface while iterating, typed as in `errors.ts`. After a date-range split, rows of
   * pages already yielded may be yielded again; they carry the same (ad_id, date_start) key.
   */
  fetchAccountInsights(params: FetchInsightsParams): AccountInsights;
  readonly stats: FetchStats;
  readonly graphUrl: string;
  readonly apiVersion: string;
}

function checkParams(p: FetchInsightsParams): { accountId: string; campaignIds: string[] } {
  if (!p.token) throw new InvalidInputError("An access token is required");
  const accountId = normalizeAccountId(p.accountId);
  const campaignIds = [...new Set((p.campaignIds ?? []).map((c) => c.trim()))];
  if (campaignIds.some((c) => !DIGITS.test(c))) {
    throw new InvalidInputError("Campaign ids must be digits");
  }
  if (!isIsoDay(p.since) || !isIsoDay(p.until) || p.since > p.until) {
    throw new InvalidInputError("since/until must be YYYY-MM-DD with since <= until");
  }
  return { accountId, campaignIds };
}

/** Creates a client. */
export function createFacebookClient(opts: FacebookClientOptions): FacebookClient {
  const graphUrl = (opts.graphUrl ?? DEFAULT_GRAPH_URL).replace(/\/+$/, "");
  const origin = new URL(graphUrl).origin;
  const apiVersion = opts.apiVersion ?? DEFAULT_API_VERSION;
  const pageSize = opts.pageSize ?? 500;
  const minPageSize = Math.min(opts.minPageSize ?? 25, pageSize);
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
  const doFetch = opts.fetch ?? ((input, init) => fetch(input, init));
  const sleep = opts.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const total = emptyStats();

  async function* run(
    p: FetchInsightsParams,
    local: FetchStats,
    progress: { more: boolean },
  ): AsyncGenerator<InsightRow[]> {
    const { accountId, campaignIds } = checkParams(p);
    const proof = opts.appSecret ? await appSecretProof(p.token, opts.appSecret) : null;
    // From here on no log line, error, stored row or answer of this process can carry them.
    rememberSecret(p.token, proof, opts.appSecret);
    const auth = (u: URL) => {
      u.searchParams.set("access_token", p.token);
      if (proof) u.searchParams.set("appsecret_proof", proof);
      return u;
    };
    const ctx: RequestContext = {
      fetch: doFetch,
      sleep,
      now,
      random,
      policy,
      logger: opts.logger.child({ component: "facebook", account_id: accountId }),
      secrets: proof ? [p.token, proof] : [p.token],
      signal: p.signal,
      deadline: p.deadline,
      count: (field, n = 1) => {
        local[field] += n;
        total[field] += n;
      },
    };
    const firstUrl = (since: string, until: string, limit: number) => {
      const u = new URL(`${graphUrl}/${apiVersion}/act_${accountId}/insights`);
      u.searchParams.set("level", "ad");
      u.searchParams.set("fields", INSIGHT_FIELDS.join(","));
      u.searchParams.set("time_increment", "1");
      u.searchParams.set("time_range", JSON.stringify({ since, until }));
      u.searchParams.set("filtering", JSON.stringify(buildFiltering(campaignIds)));
      u.searchParams.set("limit", String(limit));
      return auth(u);
    };
    // Follow `paging.next` only on our own origin (it may name another host); else the cursor.
    const nextUrl = (page: InsightsPage, current: URL): URL | null => {
      const next = page.paging?.next;
      if (!next) return null;
      let u: URL | null = null;
      try {
        u = new URL(next);
      } catch { /* fall back to the cursor */ }
      if (u && u.origin === origin) return auth(u);
      const after = page.paging?.cursors?.after;
      if (!after) throw new InvalidResponseError("paging.next is off-origin and has no cursor");
      const c = new URL(current);
      c.searchParams.set("after", after);
      return c;
    };

    const state = { limit: pageSize };
    /** `last`: no range follows this one (so its last page ends the stream). */
    async function* range(
      since: string,
      until: string,
      last: boolean,
    ): AsyncGenerator<InsightRow[]> {
      let url = firstUrl(since, until, state.limit);
      for (;;) {
        let res;
        try {
          res = await getPage(ctx, url);
        } catch (err) {
          if (!(err instanceof DataTooLargeError)) throw err;
          if (state.limit > minPageSize) {
            state.limit = Math.max(minPageSize, Math.floor(state.limit / 2));
            url.searchParams.set("limit", String(state.limit));
            ctx.logger.warn("facebook asked for less data, halving the page", {
              limit: state.limit,
            });
            continue;
          }
          if (since === until) throw err;
          const mid = addDays(since, Math.floor((daysInclusive(since, until) - 1) / 2));
          ctx.logger.warn("facebook asked for less data, splitting the range", { since, until });
          yield* range(since, mid, false);
          yield* range(addDays(mid, 1), until, last);
          return;
        }
        ctx.count("pages");
        // The next page is known before this one is handed out (`more`); a bad `paging` still
        // fails only after this page's rows are yielded.
        let next: URL | null = null;
        let bad: unknown = null;
        try {
          next = nextUrl(res.page, url);
          if (next?.href === url.href) {
            throw new InvalidResponseError("paging.next repeats the page");
          }
        } catch (err) {
          bad = err;
        }
        if (res.page.data.length) {
          ctx.count("rows", res.page.data.length);
          progress.more = bad === null && (next !== null || !last);
          yield res.page.data;
        }
        if (bad !== null) throw bad;
        if (!next) return;
        await pauseForUsage(ctx, res.usage);
        url = next;
      }
    }
    yield* range(p.since, p.until, true);
  }

  return {
    graphUrl,
    apiVersion,
    stats: total,
    fetchAccountInsights(params) {
      const local = emptyStats();
      const progress = { more: true };
      let it: AsyncGenerator<InsightRow[]> | null = null;
      return {
        stats: local,
        get more() {
          return progress.more;
        },
        [Symbol.asyncIterator]: () => (it ??= run(params, local, progress)),
      };
    },
  };
}
