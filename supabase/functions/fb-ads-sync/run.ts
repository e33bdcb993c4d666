/**
 * One invocation from start to history row: the scheduled fan-out, or a synchronous sync of one
 * user or all of them. Each writes exactly one `traffic_sync_history` row (`sync_type =
 * 'facebook_ads'`), opened when the run starts (success null = running) and closed at the end.
 *
 * @module
 */
import { createFacebookClient, type DateRange } from "../_shared/facebook/mod.ts";
import { describeError, HttpError } from "../_shared/http.ts";
import type { Logger } from "../_shared/logger.ts";
import type { Config } from "./config.ts";
import { runTotals, type UserOutcome } from "./outcome.ts";
import type { SyncStore } from "./store.ts";
import { syncUsers } from "./sync.ts";

/** What a run needs besides the request. */
export interface RunDeps {
  config: Config;
  store: SyncStore;
  logger: Logger;
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

/** The JSON answer of a sync run. */
export interface SyncAnswer {
  run_id: number;
  mode: "sync";
  triggered_by: string;
  window: DateRange;
  success: boolean;
  users_processed: number;
  records_synced: number;
  rows_changed: number;
  api_calls: number;
  duration_ms: number;
  error_message: string | null;
  users: UserOutcome[];
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The scheduled run: queue one invocation per targetologist and answer how many. */
export async function runFanOut(deps: RunDeps, triggeredBy: string) {
  const started = deps.now();
  const runId = await deps.store.startRun({
    sync_type: "facebook_ads",
    started_at: iso(started),
    triggered_by: triggeredBy,
    details: { mode: "fan_out" },
  });
  let queued: number;
  try {
    queued = await deps.store.fanOut({ triggered_by: triggeredBy });
  } catch (err) {
    const message = `fan-out failed: ${describeError(err)}`;
    await closeRun(deps, runId, started, { success: false, error_message: message });
    throw err;
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
  const runId = await store.startRun({
    sync_type: "facebook_ads",
    started_at: iso(started),
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
    throw err;
  }
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
    },
    targets,
    { ...opts.window, deadline: started + config.FB_SYNC_BUDGET_MS },
  );

  const totals = runTotals(users);
  const { rows_changed, api_calls, ...columns } = totals;
  const duration = await closeRun(deps, runId, started, {
    ...columns,
    details: { mode: "sync", window: opts.window, rows_changed, api_calls, users },
  });
  logger.info("sync finished", { ...totals, error_message: undefined, duration_ms: duration });
  return {
    run_id: runId,
    mode: "sync",
    triggered_by: opts.triggeredBy,
    window: opts.window,
    ...totals,
    duration_ms: duration,
    users,
  };
}

/** Closes the history row; a failure to do so is logged, not thrown (the work is done). */
async function closeRun(
  deps: RunDeps,
  runId: number,
  started: number,
  row: Record<string, unknown>,
): Promise<number> {
  const finished = deps.now();
  const duration = finished - started;
  try {
    await deps.store.finishRun(runId, {
      finished_at: iso(finished),
      duration_ms: duration,
      ...row,
    });
  } catch (err) {
    deps.logger.error("could not close the history row", {
      run_id: runId,
      error: describeError(err),
    });
  }
  return duration;
}
