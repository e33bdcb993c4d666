/**
 * fb-ads-sync over HTTP: `POST /fb-ads-sync`, service callers only (the pg_cron job's Vault key
 * or a service key in a manual sync; the anon key and user JWTs get 403, anything else 401).
 * The body says what to do (see `sync-request.ts`); `run.ts` does it.
 *
 * @module
 */
import { requireServiceCaller } from "../_shared/auth.ts";
import type { SupabaseClient } from "../_shared/deps.ts";
import { resolveSyncWindow, WindowError } from "../_shared/facebook/mod.ts";
import {
  errorResponse,
  type Handler,
  HttpError,
  json,
  readJson,
  withErrors,
} from "../_shared/http.ts";
import type { Logger } from "../_shared/logger.ts";
import type { Config } from "./config.ts";
import { parseSyncRequest } from "./sync-request.ts";
import { runFanOut, runSync } from "./run.ts";
import { createStore, type SyncStore } from "./store.ts";

export interface Deps {
  config: Config;
  logger: Logger;
  /** A supabase-js client with the service-role key (one per request). */
  supabase: () => SupabaseClient;
  /** The database port over that client; tests pass a fake. Default: `createStore`. */
  store?: (client: SupabaseClient) => SyncStore;
  /** fetch for the Graph API. */
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

/** Builds the request handler. */
export function createHandler(deps: Deps): Handler {
  const makeStore = deps.store ?? createStore;
  return withErrors(deps.logger, async (req) => {
    const path = new URL(req.url).pathname.replace(/\/+$/, "");
    if (path !== "/fb-ads-sync") {
      return errorResponse(404, "not_found", `No route ${req.method} ${path || "/"}.`);
    }
    if (req.method !== "POST") {
      return errorResponse(405, "method_not_allowed", "Use POST.", { allow: "POST" });
    }
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
