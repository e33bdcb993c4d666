/**
 * amocrm-webhook: AmoCRM account webhooks in, `traffic_amocrm_events` + `traffic_leads` + the
 * sales ledger out. One route, `POST /amocrm-webhook`:
 *
 * - a webhook (`?secret=…`, form-encoded body): see {@link receive};
 * - the admin replay (`?replay=failed` or a JSON body, service key): see {@link replay}.
 *
 * @module
 */
import { errorResponse, type Handler, HttpError, withErrors } from "../_shared/http.ts";
import type { Deps } from "./context.ts";
import { receive } from "./receive.ts";
import { isReplayCall, replay } from "./replay.ts";

export type { Deps } from "./context.ts";

/** Builds the request handler. */
export function createHandler(deps: Deps): Handler {
  return withErrors(deps.logger, async (req) => {
    const url = new URL(req.url);
    // The path as the function sees it: /amocrm-webhook[/]
    const route = url.pathname.replace(/^\/amocrm-webhook/, "").replace(/\/+$/, "") || "/";
    if (route !== "/") return errorResponse(404, "not_found", `No route ${req.method} ${route}.`);
    if (req.method !== "POST") {
      throw new HttpError(405, "method_not_allowed", "Use POST.", { allow: "POST" });
    }
    if (isReplayCall(req, url)) return await replay(req, url, deps);
    return await receive(req, url, deps);
  });
}
