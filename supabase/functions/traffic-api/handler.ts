/**
 * traffic-api: the Traffic Dashboard's read API. CORS outermost (so even errors are readable by
 * the browser), then the error wrapper (JSON errors, generic 500 with a request id), then the
 * route table. A response that sets no `Cache-Control` (errors included) is `no-store`.
 *
 * @module
 */
import { type Handler, withErrors, withHeaders } from "../_shared/http.ts";
import type { Deps } from "./context.ts";
import { parseAllowedOrigins, withCors } from "./cors.ts";
import { dispatch } from "./router.ts";

export type { Deps } from "./context.ts";

/** Builds the request handler. */
export function createHandler(deps: Deps): Handler {
  const origins = parseAllowedOrigins(deps.config.CORS_ALLOWED_ORIGINS);
  const routed = withErrors(deps.logger, (req) => dispatch({ req, url: new URL(req.url), deps }));
  return withCors(origins, async (req) => {
    const res = await routed(req);
    if (res.headers.has("cache-control")) return res;
    return withHeaders(res, (headers) => headers.set("cache-control", "no-store"));
  });
}
