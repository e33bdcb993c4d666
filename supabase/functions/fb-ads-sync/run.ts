/**
 * One invocation from start to history row: the scheduled fan-out, or a synchronous sync of one
 * user or all of them. Each writes exactly one `traffic_sync_history` row (`sync_type =
 * 'facebook_ads'`), opened when the run starts (`fb_start_run`, which first closes runs that died
 * open; success null = running, `details.expires_at` = when it counts as dead) and closed at the
 * end, retried through a database outage (`bookkeeping.ts`). What is stored and answered passes
 * `redactValues` with every token of the run: no token leaves in any encoding.
 *
 * @module
 */
import { createFacebookClient, type DateRange } from "../_shared/facebook/mod.ts";
import { describeError, HttpError } from "../_shared/http.ts";
import { redactValues, rememberSecret } from "../_shared/logger.ts";
import { BOOKKEEPING_RETRY_MS, persist } from "./bookkeeping.ts";
import type { Config } from "./config.ts";
import { runOutcome, type RunOutcomeKind, runTotals, type UserOutcome } from "./outcome.ts";
import { StoreUnavailableError } from "../_shared/store.ts";
import type { RunStart, SyncStore } from "./store.ts";
import { syncUsers } from "./engine.ts";
import type { RunDeps as SharedRunDeps } from "../_shared/runtime.ts";

/** config, store, logger, fetch, sleep, now (`_shared/runtime.ts`). */
export type RunDeps = SharedRunDeps<Config, SyncStore>;

/** The JSON answer of a sync run. */
export interface SyncAnswer {
  run_id: number;
  mode: "sync";
  triggered_by: string;
  window: DateRange;
  success: boolean;
  /** ok, partial, failed, or busy (every user skipped: another run holds their leases). */
  outcome: RunOutcomeKind;
  users_processed: number;
  records_synced: number;
  rows_changed: number;
  api_calls: number;
  duration_ms: number;
  error_message: string | null;
  users: UserOutcome[];
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A database that cannot be reached is a 503 (retry later), not a 500. */
function unavailableAs503(err: unknown): unknown {
  return err instanceof StoreUnavailableError
    ? new HttpError(
      503,
      "database_unavailable",
      "The database is unavailable right now; nothing was synced. Retry shortly.",
      { "retry-after": "5" },
    )
    : err;
}

/** Opens the run's history row (after closing runs that died open); 503 when the DB is down. */
async function openRun(deps: RunDeps, run: Omit<RunStart, "budget_ms">): Promise<number> {
  try {
    return await deps.store.startRun({ ...run, budget_ms: deps.config.FB_SYNC_BUDGET_MS });
  } catch (err) {
    throw unavailableAs503(err);
  }
}

/** The scheduled run: queue one invocation per targetologist and answer how many. */
export async function runFanOut(deps: RunDeps, triggeredBy: string) {
  const started = deps.now();
  const runId = await openRun(deps, {
    triggered_by: triggeredBy,
    details: { mode: "fan_out" },
  });
  let queued: number;
  try {
    queued = await deps.store.fanOut({ triggered_by: triggeredBy });
  } catch (err) {
    const message = `fan-out failed: ${describeError(err)}`;
    await closeRun(deps, runId, started, { success: false, error_message: message });
    throw unavailableAs503(err);
  }
  await closeRun(deps, runId, started, {
    success: true,
    details: { mode: "fan_out", queued },
  });
  deps.logger.info("fan-out queued", { run_id: runId, queued, triggered_by: triggeredBy });
  return { run_id: runId, mode: "fan_out" as const, triggered_by: triggeredBy, queued };
}

/** Syncs one user (`userId`) or every user for `window`, then closes the history row. */
export async function runSync(
  deps: RunDeps,
  opts: { userId: string | null; triggeredBy: string; window: DateRange },
): Promise<SyncAnswer> {
  const { config, store } = deps;
  const started = deps.now();
  const runId = await openRun(deps, {
    user_id: opts.userId,
    triggered_by: opts.triggeredBy,
    details: { mode: "sync", window: opts.window },
  });
  const logger = deps.logger.child({ run_id: runId });

  let targets;
  try {
    targets = await store.targets(opts.userId);
  } catch (err) {
    const message = `reading the targetologists failed: ${describeError(err)}`;
    await closeRun(deps, runId, started, { success: false, error_message: message });
    throw unavailableAs503(err);
  }
  // Every token this run may touch, before any of them can reach a log line, a row or the answer.
  const secrets = [
    ...targets.map((t) => t.access_token ?? ""),
    config.facebook.fallbackToken ?? "",
    config.facebook.appSecret ?? "",
  ].filter((s) => s.trim() !== "");
  rememberSecret(...secrets);
  if (opts.userId && targets.length === 0) {
    const message = "no active targetologist with ad accounts has this user_id";
    await closeRun(deps, runId, started, { success: false, error_message: message });
    throw new HttpError(404, "user_not_found", `${message}.`);
  }

  const facebook = createFacebookClient({
    logger,
    graphUrl: config.facebook.graphUrl,
    apiVersion: config.facebook.apiVersion,
    appSecret: config.facebook.appSecret,
    fetch: deps.fetch,
    sleep: deps.sleep,
    now: deps.now,
    pageSize: config.FB_SYNC_PAGE_SIZE,
    retry: { throttleBaseMs: config.FB_SYNC_THROTTLE_BASE_MS },
  });
  const users = await syncUsers(
    {
      store,
      facebook,
      logger,
      now: deps.now,
      fallbackToken: config.facebook.fallbackToken,
      userConcurrency: config.FB_SYNC_USER_CONCURRENCY,
      accountConcurrency: config.FB_SYNC_ACCOUNT_CONCURRENCY,
      lockTtlSeconds: Math.ceil(config.FB_SYNC_BUDGET_MS / 1000) + 60,
      sleep: deps.sleep,
    },
    targets,
    { ...opts.window, deadline: started + config.FB_SYNC_BUDGET_MS },
  );

  const safeUsers = redactValues(users, secrets);
  const totals = redactValues(runTotals(safeUsers), secrets);
  const outcome = runOutcome(safeUsers);
  const { rows_changed, api_calls, ...columns } = totals;
  const duration = await closeRun(deps, runId, started, {
    ...columns,
    details: {
      mode: "sync",
      window: opts.window,
      outcome,
      rows_changed,
      api_calls,
      users: safeUsers,
    },
  });
  logger.info("sync finished", {
    ...totals,
    outcome,
    error_message: undefined,
    duration_ms: duration,
  });
  return {
    run_id: runId,
    mode: "sync",
    triggered_by: opts.triggeredBy,
    window: opts.window,
    ...totals,
    outcome,
    duration_ms: duration,
    users: safeUsers,
  };
}

/**
 * Closes the history row, retrying through a database outage for up to `BOOKKEEPING_RETRY_MS`;
 * a failure after that is logged, not thrown (the work is done, and `traffic_close_stale_runs`
 * closes the row as failed once its `expires_at` passes).
 */
async function closeRun(
  deps: RunDeps,
  runId: number,
  started: number,
  row: Record<string, unknown>,
): Promise<number> {
  const finished = deps.now();
  const duration = finished - started;
  try {
    await persist(
      deps,
      finished + BOOKKEEPING_RETRY_MS,
      () =>
        deps.store.finishHistory(runId, {
          finished_at: iso(finished),
          duration_ms: duration,
          ...row,
        }),
      (err, attempt) =>
        deps.logger.warn("closing the history row failed, retrying", {
          run_id: runId,
          attempt,
          error: describeError(err),
        }),
    );
  } catch (err) {
    deps.logger.error("could not close the history row (it will be closed as failed)", {
      run_id: runId,
      error: describeError(err),
    });
  }
  return duration;
}
