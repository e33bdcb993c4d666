/**
 * CORS for browser dashboards. `CORS_ALLOWED_ORIGINS` is a comma-separated list of origins, `*`
 * for any, or empty — the default: no other origin may read the API, which is all the dashboard
 * needs when it is served from the API's own origin (`/dashboard/` on the gateway; same-origin
 * requests need no CORS). An allowed request origin is echoed back (never `*` with credentials),
 * and every response says `Vary: Origin` so shared caches keep one copy per origin.
 *
 * @module
 */
import { errorResponse, type Handler, withHeaders } from "../_shared/http.ts";

export const ALLOWED_METHODS = "GET, PUT, OPTIONS";
export const ALLOWED_HEADERS = "authorization, apikey, content-type, x-client-info, if-none-match";
export const EXPOSED_HEADERS = "etag, x-request-id";
const PREFLIGHT_MAX_AGE = "86400";

/** The parsed `CORS_ALLOWED_ORIGINS`: `"*"` or a set of exact origins (empty: none). */
export type AllowedOrigins = "*" | ReadonlySet<string>;

/** An origin as a browser sends it: scheme, host and an optional port, nothing more. */
const ORIGIN = /^https?:\/\/[a-z0-9.-]+(:[0-9]{1,5})?$/i;

/** The entries of `CORS_ALLOWED_ORIGINS` that are not `*` or an origin (config rejects them). */
export function invalidOrigins(value: string): string[] {
  return splitOrigins(value).filter((o) => o !== "*" && !ORIGIN.test(o));
}

function splitOrigins(value: string): string[] {
  return value.split(",").map((o) => o.trim().replace(/\/+$/, "")).filter(Boolean);
}

/**
 * Parses `CORS_ALLOWED_ORIGINS` (`https://a.example, https://b.example`, or `*`). Empty or unset
 * allows no cross-origin caller at all.
 */
export function parseAllowedOrigins(value: string): AllowedOrigins {
  const list = splitOrigins(value);
  if (list.includes("*")) return "*";
  return new Set(list.map((o) => o.toLowerCase()));
}

/** True when a request from `origin` may read the response. */
export function isAllowedOrigin(origin: string, allowed: AllowedOrigins): boolean {
  return allowed === "*" || allowed.has(origin.toLowerCase());
}

function addVary(headers: Headers, value: string): void {
  const current = headers.get("vary");
  const parts = current ? current.split(",").map((v) => v.trim().toLowerCase()) : [];
  if (!parts.includes(value.toLowerCase())) {
    headers.set("vary", current ? `${current}, ${value}` : value);
  }
}

/**
 * Wraps a handler with CORS: answers preflight `OPTIONS` itself (204 for an allowed origin, 403
 * for another), and adds the CORS headers to every other response from an allowed origin.
 */
export function withCors(allowed: AllowedOrigins, handler: Handler): Handler {
  return async (req) => {
    const origin = req.headers.get("origin");
    const ok = origin !== null && isAllowedOrigin(origin, allowed);
    if (req.method === "OPTIONS") {
      if (origin !== null && !ok) {
        const res = errorResponse(403, "origin_not_allowed", "This origin may not call the API.");
        addVary(res.headers, "Origin");
        return res;
      }
      const headers = new Headers({
        "access-control-allow-methods": ALLOWED_METHODS,
        "access-control-allow-headers": ALLOWED_HEADERS,
        "access-control-max-age": PREFLIGHT_MAX_AGE,
        "vary": "Origin",
      });
      if (origin !== null) headers.set("access-control-allow-origin", origin);
      return new Response(null, { status: 204, headers });
    }
    return withHeaders(await handler(req), (headers) => {
      addVary(headers, "Origin");
      if (ok) {
        headers.set("access-control-allow-origin", origin);
        headers.set("access-control-expose-headers", EXPOSED_HEADERS);
      }
    });
  };
}
