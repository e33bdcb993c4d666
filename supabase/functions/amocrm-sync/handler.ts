/**
 * amocrm-sync over HTTP: `POST /amocrm-sync`, service callers only (the pg_cron job's Vault key
 * or a service key in a manual sync; the anon key and user JWTs get 403, anything else 401 —
 * `_shared/auth.ts`). The body is `{}` or `{ "triggered_by": "..." }` (`sync-request.ts`); `run.ts`
 * does the work.
 *
 * Answers: 200 with the run's summary (also when it stopped at its deadline: `partial: true`);
 * 502 with the same summary and `error.code` `amocrm_unauthorized` / `amocrm_blocked` /
 * `amocrm_rate_limited` / `amocrm_unavailable` / `amocrm_invalid_response` when AmoCRM failed
 * the run; 503 `not_configured` when `AMOCRM_ACCESS_TOKEN` or the API URL is missing.
 *
 * @module
 */
import { requireServiceCaller } from "../_shared/auth.ts";
import type { SupabaseClient } from "../_shared/deps.ts";
import { errorResponse, type Handler, json, readJson, withErrors } from "../_shared/http.ts";
import type { Logger } from "../_shared/logger.ts";
import type { Config } from "./config.ts";
import { parseSyncRequest } from "./sync-request.ts";
import { runSync } from "./run.ts";
import { createStore, type SyncStore } from "./store.ts";

export interface Deps {
  config: Config;
  logger: Logger;
  supabase: () => SupabaseClient;
  store?: (client: SupabaseClient) => SyncStore;
  /** fetch for the AmoCRM API. */
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

/** Builds the request handler. */
export function createHandler(deps: Deps): Handler {
  const makeStore = deps.store ?? createStore;
  return withErrors(deps.logger, async (req) => {
    const path = new URL(req.url).pathname.replace(/\/+$/, "");
    if (path !== "/amocrm-sync") {
      return errorResponse(404, "not_found", `No route ${req.method} ${path || "/"}.`);
    }
    if (req.method !== "POST") {
      return errorResponse(405, "method_not_allowed", "Use POST.", { allow: "POST" });
    }
    requireServiceCaller(req, deps.config);
    const { triggeredBy } = parseSyncRequest(await readJson(req));
    const token = deps.config.AMOCRM_ACCESS_TOKEN;
    const apiUrl = deps.config.apiUrl;
    if (!token || !apiUrl) {
      return errorResponse(
        503,
        "not_configured",
        "amocrm-sync needs AMOCRM_ACCESS_TOKEN and AMOCRM_SUBDOMAIN (or AMOCRM_API_URL).",
      );
    }
    const answer = await runSync({
      config: deps.config,
      store: makeStore(deps.supabase()),
      logger: deps.logger,
      fetch: deps.fetch,
      sleep: deps.sleep,
      now: deps.now,
    }, { triggeredBy, token, apiUrl });
    return json(answer, answer.error ? 502 : 200);
  });
}
