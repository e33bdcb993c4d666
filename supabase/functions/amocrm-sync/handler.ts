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
import { errorResponse, type Handler, json } from "../_shared/http.ts";
import { syncHandler, type SyncHandlerDeps } from "../_shared/runtime.ts";
import type { Config } from "./config.ts";
import { parseSyncRequest } from "./sync-request.ts";
import { runSync } from "./run.ts";
import { createStore, type SyncStore } from "./store.ts";

/** config, logger, the service client, the store factory, fetch, sleep, now. */
export type Deps = SyncHandlerDeps<Config, SyncStore>;

/** Builds the request handler. */
export function createHandler(deps: Deps): Handler {
  return syncHandler(deps, "/amocrm-sync", createStore, async (body, run) => {
    const { triggeredBy } = parseSyncRequest(body);
    const token = deps.config.AMOCRM_ACCESS_TOKEN;
    const apiUrl = deps.config.apiUrl;
    if (!token || !apiUrl) {
      return errorResponse(
        503,
        "not_configured",
        "amocrm-sync needs AMOCRM_ACCESS_TOKEN and AMOCRM_SUBDOMAIN (or AMOCRM_API_URL).",
      );
    }
    const answer = await runSync(run(), { triggeredBy, token, apiUrl });
    return json(answer, answer.error ? 502 : 200);
  });
}
