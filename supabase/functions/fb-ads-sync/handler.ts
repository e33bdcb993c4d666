/**
 * fb-ads-sync over HTTP: `POST /fb-ads-sync`, service callers only (the pg_cron job's Vault key
 * or a service key in a manual sync; the anon key and user JWTs get 403, anything else 401).
 * The body says what to do (see `sync-request.ts`); `run.ts` does it.
 *
 * @module
 */
import { requireServiceCaller } from "../_shared/auth.ts";
import { resolveSyncWindow, WindowError } from "../_shared/facebook/mod.ts";
import {
  type Handler,
  HttpError,
  json,
  outsideRoute,
  readJson,
  withErrors,
} from "../_shared/http.ts";
import type { SyncHandlerDeps } from "../_shared/runtime.ts";
import type { Config } from "./config.ts";
import { parseSyncRequest } from "./sync-request.ts";
import { runFanOut, runSync } from "./run.ts";
import { createStore, type SyncStore } from "./store.ts";

/** config, logger, the service client, the store factory, fetch, sleep, now. */
export type Deps = SyncHandlerDeps<Config, SyncStore>;

/** Builds the request handler. */
export function createHandler(deps: Deps): Handler {
  const makeStore = deps.store ?? createStore;
  return withErrors(deps.logger, async (req) => {
    const refused = outsideRoute(req, "/fb-ads-sync");
    if (refused) return refused;
    requireServiceCaller(req, deps.config);
    const request = parseSyncRequest(await readJson(req));
    const run = {
      config: deps.config,
      store: makeStore(deps.supabase()),
      logger: deps.logger,
      fetch: deps.fetch,
      sleep: deps.sleep,
      now: deps.now,
    };
    if (request.mode === "fan_out") {
      return json(await runFanOut(run, request.triggeredBy), 202);
    }
    let window;
    try {
      window = resolveSyncWindow(request.window, {
        tz: deps.config.TRAFFIC_TIMEZONE,
        now: new Date(deps.now()),
      });
    } catch (err) {
      if (err instanceof WindowError) {
        throw new HttpError(400, "invalid_window", `Invalid request body: ${err.message}.`);
      }
      throw err;
    }
    return json(
      await runSync(run, {
        userId: request.userId,
        triggeredBy: request.triggeredBy,
        window,
      }),
    );
  });
}
