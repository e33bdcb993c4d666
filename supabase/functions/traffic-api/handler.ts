/**
 * traffic-api: the Traffic Dashboard's read API. Routes are added beside `health`.
 *
 * @module
 */
import { errorResponse, type Handler, json, withErrors } from "../_shared/http.ts";
import type { Logger } from "../_shared/logger.ts";
import type { Config } from "./config.ts";

export interface Deps {
  config: Config;
  logger: Logger;
  fetch: typeof fetch;
}

/** Builds the request handler. */
export function createHandler(deps: Deps): Handler {
  return withErrors(deps.logger, async (req) => {
    const url = new URL(req.url);
    // The path as the function sees it: /traffic-api/<route>
    const route = url.pathname.replace(/^\/traffic-api/, "").replace(/\/+$/, "") || "/";
    if (route === "/health") {
      if (req.method !== "GET") return errorResponse(405, "method_not_allowed", "Use GET.");
      let database = "down";
      try {
        const res = await deps.fetch(`${deps.config.SUPABASE_URL}/rest/v1/`, {
          headers: { apikey: deps.config.SUPABASE_ANON_KEY },
          signal: AbortSignal.timeout(3000),
        });
        await res.body?.cancel();
        database = res.ok ? "up" : "down";
      } catch {
        database = "down";
      }
      return json({ status: "ok", database }, database === "up" ? 200 : 503);
    }
    return errorResponse(404, "not_found", `No route ${req.method} ${route}.`);
  });
}
