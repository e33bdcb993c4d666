/**
 * fb-ads-sync over HTTP: `POST /fb-ads-sync`, service callers only (the pg_cron job's Vault key
 * or a service key in a manual sync; the anon key and user JWTs get 403, anything else 401).
 * The body says what to do (see `sync-request.ts`); `run.ts` does it.
 *
 * @module
 */
import { resolveSyncWindow, WindowError } from "../_shared/facebook/mod.ts";
import { type Handler, HttpError, json } from "../_shared/http.ts";
import { syncHandler, type SyncHandlerDeps } from "../_shared/runtime.ts";
import type { Config } from "./config.ts";
import { parseSyncRequest } from "./sync-request.ts";
import { runFanOut, runSync } from "./run.ts";
import { createStore, type SyncStore } from "./store.ts";

/** config, logger, the service client, the store factory, fetch, sleep, now. */
export type Deps = SyncHandlerDeps<Config, SyncStore>;

/** Builds the request handler. */
export function createHandler(deps: Deps): Handler {
  return syncHandler(deps, "/fb-ads-sync", createStore, async (body, run) => {
    const request = parseSyncRequest(body);
    if (request.mode === "fan_out") {
      return json(await runFanOut(run(), request.triggeredBy), 202);
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
      await runSync(run(), {
        userId: request.userId,
        triggeredBy: request.triggeredBy,
        window,
      }),
    );
  });
}
