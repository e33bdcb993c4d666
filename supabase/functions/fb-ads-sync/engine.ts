/**
 * The sync engine, apart from HTTP: for each targetologist take the per-user lease, pick the
 * token, sync every ad account (bounded concurrency), and record what Meta said about the token.
 * One user's failure never stops the others: every path ends in a `UserOutcome`.
 *
 * Concurrency counts Graph requests, not database work: an account's slot is handed to the next
 * account as soon as its last page has arrived (its last write finishes on its own), and a user's
 * slot to the next user as soon as every one of its accounts has been fetched (its last writes,
 * the token verdict and the lease release finish on their own). So `userConcurrency x
 * accountConcurrency` requests stay in flight for the whole run, never more.
 *
 * @module
 */
import { type FacebookClient, normalizeAccountId, scrub } from "../_shared/facebook/mod.ts";
import { sha256Hex } from "../_shared/hash.ts";
import { describeError } from "../_shared/http.ts";
import type { Logger } from "../_shared/logger.ts";
import { type AccountJob, syncAccount, TokenRejected } from "./account.ts";
import { BOOKKEEPING_RETRY_MS, persist } from "./bookkeeping.ts";
import { type AccountOutcome, accountOutcome, type UserOutcome, userOutcome } from "./outcome.ts";
import type { SyncStore, SyncTarget } from "./store.ts";

/** The engine's collaborators and limits. */
export interface EngineDeps {
  store: SyncStore;
  facebook: FacebookClient;
  logger: Logger;
  now: () => number;
  /** `FACEBOOK_ADS_TOKEN`: used for users without a token of their own. */
  fallbackToken?: string;
  userConcurrency: number;
  accountConcurrency: number;
  /** Lease length; longer than the run's budget so a lease outlives its run only on a crash. */
  lockTtlSeconds: number;
  /** Sleep between retries of the lease release through a database outage. */
  sleep?: (ms: number) => Promise<void>;
}

/** The window and deadline of one run. */
export interface SyncPlan {
  since: string;
  until: string;
  /** Epoch ms in `now()`'s clock. */
  deadline: number;
}

/** The lease key of one user's sync. */
export const lockKey = (userId: string) => `fb-ads-sync:${userId}`;

/**
 * Runs `fn` over `items` with at most `limit` holding a slot at once; results keep the input
 * order. `fn` may hand its slot on early by calling `release()` (then it keeps running without
 * one); the slot is released when `fn` settles in any case.
 */
export async function mapPool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number, release: () => void) => Promise<R>,
): Promise<R[]> {
  let free = Math.max(1, limit);
  const waiting: (() => void)[] = [];
  const acquire = () =>
    free > 0 ? (free--, Promise.resolve()) : new Promise<void>((ok) => waiting.push(ok));
  const handBack = () => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };
  const running: Promise<R>[] = [];
  for (let i = 0; i < items.length; i++) {
    await acquire();
    let held = true;
    const release = () => {
      if (held) {
        held = false;
        handBack();
      }
    };
    const p = (async () => await fn(items[i], i, release))().finally(release);
    p.catch(() => {}); // observed below; a rejection must not go unhandled meanwhile
    running.push(p);
  }
  return await Promise.all(running);
}

/** Runs `fn` over `items` with at most `limit` at once; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Distinct ad accounts, compared without `act_`; unparseable ids are kept to fail visibly. */
function distinctAccounts(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const raw of ids) {
    try {
      seen.add(normalizeAccountId(raw));
    } catch {
      seen.add(raw.trim()); // syncAccount reports it as failed
    }
  }
  return [...seen];
}

/** Syncs every target, `userConcurrency` fetching at a time. */
export function syncUsers(
  deps: EngineDeps,
  targets: readonly SyncTarget[],
  plan: SyncPlan,
): Promise<UserOutcome[]> {
  return mapPool(
    targets,
    deps.userConcurrency,
    (t, _i, release) => syncUser(deps, t, plan, release),
  );
}

/**
 * Syncs one user; never throws. `fetched` is called once every account's last page has arrived
 * (or the user needed no Graph call): the caller may start the next user then.
 */
export async function syncUser(
  deps: EngineDeps,
  target: SyncTarget,
  plan: SyncPlan,
  fetched: () => void = () => {},
): Promise<UserOutcome> {
  const log = deps.logger.child({ user_id: target.user_id });
  const own = target.access_token?.trim() || null;
  const token = own ?? deps.fallbackToken ?? null;
  const base = {
    user_id: target.user_id,
    team_name: target.team_name,
    token_source: own ? "user" as const : token ? "fallback" as const : null,
  };
  const secrets = token ? [token] : [];
  const safe = (err: unknown) => scrub(describeError(err), secrets);

  if (!token) {
    log.error("no facebook token: neither the user's nor FACEBOOK_ADS_TOKEN");
    return userOutcome(base, [], "no_token", ["no Facebook token (user or FACEBOOK_ADS_TOKEN)"]);
  }
  if (own && target.token_status === "invalid") {
    log.warn("token marked invalid earlier, skipping until a new one is set");
    return userOutcome(base, [], "token_invalid", [
      "the token was rejected by Meta earlier (facebook_token_status = invalid); set a new token",
    ]);
  }

  let holder: string | null;
  try {
    holder = await deps.store.tryLock(lockKey(target.user_id), deps.lockTtlSeconds);
  } catch (err) {
    log.error("could not take the user's lock", { error: safe(err) });
    return userOutcome(base, [], "failed", [safe(err)]);
  }
  if (!holder) {
    log.warn("another run holds this user's lease: skipped, nothing synced for this user");
    return {
      ...userOutcome(base, [], "skipped"),
      warnings: [
        "busy: another run holds this user's lease (it is syncing them, or died and the lease " +
        "expires on its own); nothing was synced for this user by this run",
      ],
    };
  }

  const extraErrors: string[] = [];
  let accounts: AccountOutcome[] = [];
  try {
    const ctrl = new AbortController();
    const job: AccountJob = {
      facebook: deps.facebook,
      store: deps.store,
      logger: log,
      now: deps.now,
      userId: target.user_id,
      token,
      campaignIds: target.tracked_campaigns,
      since: plan.since,
      until: plan.until,
      deadline: plan.deadline,
      signal: ctrl.signal,
    };
    const ids = distinctAccounts(target.ad_accounts);
    let pending = ids.length;
    if (pending === 0) fetched();
    const oneFetched = () => {
      if (--pending === 0) fetched();
    };
    const account = async (accountId: string, fetchDone: () => void) => {
      if (ctrl.signal.aborted) {
        return accountOutcome(accountId, "skipped", { warning: new TokenRejected().message });
      }
      if (deps.now() >= plan.deadline) {
        return accountOutcome(accountId, "deferred", {
          warning: "the run's time budget is spent",
        });
      }
      const r = await syncAccount(job, accountId, fetchDone);
      if (r.outcome === "token_invalid") ctrl.abort(new TokenRejected());
      return r;
    };
    accounts = await mapPool(ids, deps.accountConcurrency, async (accountId, _i, release) => {
      let done = false;
      const fetchDone = () => {
        if (done) return;
        done = true;
        release();
        oneFetched();
      };
      try {
        return await account(accountId, fetchDone);
      } finally {
        fetchDone();
      }
    });
    if (own) {
      const rejected = accounts.some((a) => a.outcome === "token_invalid");
      const worked = accounts.some((a) => a.outcome === "ok" || a.outcome === "object_missing");
      const status = rejected ? "invalid" : worked ? "ok" : null;
      if (status && status !== target.token_status) {
        try {
          await deps.store.setTokenStatus(target.user_id, await sha256Hex(own), status);
        } catch (err) {
          log.error("could not record the token status", { error: safe(err) });
          extraErrors.push(`recording the token status failed: ${safe(err)}`);
        }
      }
    }
  } finally {
    fetched();
    // Through a database outage too: a lease left behind would make the next runs skip the user.
    const clock = {
      now: deps.now,
      sleep: deps.sleep ?? ((ms: number) => new Promise<void>((ok) => setTimeout(ok, ms))),
    };
    const until = deps.now() + BOOKKEEPING_RETRY_MS;
    await persist(
      clock,
      until,
      () => deps.store.releaseLock(lockKey(target.user_id), holder!),
      (err, attempt) =>
        log.warn("releasing the user's lease failed, retrying", { attempt, error: safe(err) }),
    ).catch((err) =>
      log.error("could not release the user's lease (it expires)", { error: safe(err) })
    );
  }
  const result = userOutcome(base, accounts, undefined, extraErrors);
  log.info("user synced", {
    outcome: result.outcome,
    rows: result.rows,
    changed: result.changed,
    api_calls: result.api_calls,
  });
  return result;
}
