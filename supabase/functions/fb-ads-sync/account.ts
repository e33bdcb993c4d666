/**
 * One ad account of one user: stream Meta's pages, write each page as one batched upsert while
 * the next pages download, and turn a failure into the account's outcome (never a throw).
 *
 * Writes run one after another per account (in page order) but never hold up the download: up to
 * `MAX_QUEUED_WRITES` pages may wait for the database before the next page is asked for. When the
 * last page has arrived, `fetched()` hands the account's Graph slot on at once, while its writes
 * finish (the backlog is not waited for when no page follows: the client's `more`).
 *
 * @module
 */
import {
  DeferredError,
  type FacebookClient,
  FacebookError,
  type InsightRow,
  ObjectMissingError,
  PermissionError,
  scrub,
  ThrottledError,
  TokenInvalidError,
} from "../_shared/facebook/mod.ts";
import type { Logger } from "../_shared/logger.ts";
import { describeError } from "../_shared/http.ts";
import { type AccountOutcome, accountOutcome, type AccountOutcomeKind } from "./outcome.ts";
import type { AdsRow, SyncStore } from "./store.ts";

/** What one account sync needs. */
export interface AccountJob {
  facebook: FacebookClient;
  store: SyncStore;
  logger: Logger;
  now: () => number;
  userId: string;
  token: string;
  campaignIds: readonly string[];
  since: string;
  until: string;
  deadline: number;
  /** Aborted when the user's token is rejected on another account. */
  signal: AbortSignal;
}

/** Thrown into the other accounts' fetches when the user's token was rejected. */
export class TokenRejected extends Error {
  constructor() {
    super("not attempted: the token was rejected on another account");
    this.name = "TokenRejected";
  }
}

/** The table row of one insights row. */
export function toAdsRow(r: InsightRow): AdsRow {
  return {
    account_id: r.account_id,
    account_name: r.account_name,
    account_currency: r.account_currency,
    campaign_id: r.campaign_id,
    campaign_name: r.campaign_name,
    adset_id: r.adset_id,
    adset_name: r.adset_name,
    ad_id: r.ad_id,
    ad_name: r.ad_name,
    stat_date: r.date_start,
    spend: r.spend,
    impressions: r.impressions,
    clicks: r.clicks,
    reach: r.reach,
    actions: r.actions,
  };
}

/**
 * One batch, deduplicated by (ad_id, day): after a date-range split Meta's rows can arrive twice
 * (the last copy wins). `seen` collects the keys across batches so the account counts each
 * row once.
 */
export function dedupeBatch(batch: InsightRow[], seen: Set<string>): AdsRow[] {
  const byKey = new Map<string, AdsRow>();
  for (const r of batch) {
    const key = `${r.ad_id}|${r.date_start}`;
    byKey.delete(key);
    byKey.set(key, toAdsRow(r));
    seen.add(key);
  }
  return [...byKey.values()];
}

/** Pages held in memory waiting for the database before the download waits too. */
export const MAX_QUEUED_WRITES = 3;

function classify(err: unknown): AccountOutcomeKind {
  if (err instanceof TokenRejected) return "skipped";
  if (err instanceof TokenInvalidError) return "token_invalid";
  if (err instanceof PermissionError) return "permission";
  if (err instanceof ObjectMissingError) return "object_missing";
  if (err instanceof DeferredError || err instanceof ThrottledError) return "deferred";
  return "failed";
}

/**
 * Syncs one account; every failure becomes the returned outcome. `fetched` is called once the
 * last page has arrived (no more Graph requests for this account), before its last writes end.
 */
export async function syncAccount(
  job: AccountJob,
  accountId: string,
  fetched: () => void = () => {},
): Promise<AccountOutcome> {
  const log = job.logger.child({ account_id: accountId });
  const seen = new Set<string>();
  let changed = 0;
  let writeError: unknown = null;
  let chain: Promise<void> = Promise.resolve();
  const queued: Promise<void>[] = [];
  const stream = job.facebook.fetchAccountInsights({
    token: job.token,
    accountId,
    since: job.since,
    until: job.until,
    campaignIds: job.campaignIds,
    signal: job.signal,
    deadline: job.deadline,
  });
  const write = (rows: AdsRow[]) =>
    job.store.upsertInsights(job.userId, rows, new Date(job.now()).toISOString())
      .then((n) => void (changed += n), (e) => void (writeError = e));

  let failure: unknown = null;
  try {
    for await (const batch of stream) {
      if (writeError) throw writeError;
      const rows = dedupeBatch(batch, seen);
      // In page order, one at a time; skipped once a write failed (the account fails anyway).
      chain = chain.then(() => writeError ? undefined : write(rows));
      queued.push(chain);
      // The backlog is bounded before another page is asked for, never after the last one: the
      // slot goes on at once then (an account of 3 pages used to wait here for its first write).
      if (stream.more && queued.length >= MAX_QUEUED_WRITES) await queued.shift();
    }
    fetched();
    await chain;
    if (writeError) throw writeError;
  } catch (err) {
    // The slot is handed on only when this settles: a rejected token must abort the user's other
    // accounts before the next one starts.
    await chain;
    failure = err;
  }

  const s = stream.stats;
  const counts = {
    rows: seen.size,
    changed,
    api_calls: s.apiCalls,
    pages: s.pages,
    retries: s.retries,
    waited_ms: s.waitedMs,
  };
  if (failure === null) return accountOutcome(accountId, "ok", counts);

  const kind = classify(failure);
  const text = scrub(
    failure instanceof FacebookError || failure instanceof TokenRejected
      ? failure.message
      : describeError(failure),
    [job.token],
  );
  const retryAfter = failure instanceof FacebookError ? failure.retryAfterMs : undefined;
  const outcome = accountOutcome(accountId, kind, {
    ...counts,
    ...(kind === "object_missing" || kind === "deferred" || kind === "skipped"
      ? { warning: text }
      : { error: text }),
    ...(retryAfter !== undefined ? { retry_after_ms: retryAfter } : {}),
  });
  const level = kind === "failed" || kind === "permission" || kind === "token_invalid"
    ? "error"
    : "warn";
  log[level]("account not synced", { outcome: kind, ...counts, error: text });
  return outcome;
}
