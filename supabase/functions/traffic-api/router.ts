/**
 * The route table: path → method → handler. `dispatch` answers 404 for an unknown path and 405
 * (with `Allow`) for a known path asked with another method.
 *
 * @module
 */
import { HttpError } from "../_shared/http.ts";
import { cached } from "./cache.ts";
import { authenticate } from "./caller.ts";
import type { RouteContext, RouteHandler } from "./context.ts";
import { getAlerts } from "./routes/alerts.ts";
import { getCampaigns } from "./routes/campaigns.ts";
import { getDaily } from "./routes/daily.ts";
import { getHealth } from "./routes/health.ts";
import { getMetrics, getMetricsRange } from "./routes/metrics.ts";
import { getOpenApi } from "./routes/openapi.ts";
import { getSettings, putSettings } from "./routes/settings.ts";
import { getSyncStatus } from "./routes/sync-status.ts";

export type Method = "GET" | "PUT";

export const routes: Record<string, Partial<Record<Method, RouteHandler>>> = {
  // The data routes: answered again from the response cache while their data is unchanged.
  "/metrics": { GET: cached("/metrics", getMetrics) },
  "/metrics/range": { GET: cached("/metrics/range", getMetricsRange) },
  // Their one SQL call returns the snapshot it read in (cache.ts answerResponse): a miss is one call.
  "/daily": { GET: cached("/daily", getDaily, { answersSnapshot: true }) },
  "/campaigns": { GET: cached("/campaigns", getCampaigns, { answersSnapshot: true }) },
  "/sync-status": { GET: getSyncStatus },
  "/alerts": { GET: getAlerts },
  "/settings": { GET: getSettings, PUT: putSettings },
  "/health": { GET: getHealth },
  "/openapi.json": { GET: getOpenApi },
};

/** Routes that need no user (the rest need a verified access token). */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set(["/health", "/openapi.json"]);

/** The route part of a path as the function sees it: `/traffic-api/metrics/` → `/metrics`. */
export function routeOf(pathname: string): string {
  return pathname.replace(/^\/traffic-api(?=\/|$)/, "").replace(/\/+$/, "") || "/";
}

/** Runs the handler of the request's route and method. */
export async function dispatch(ctx: RouteContext): Promise<Response> {
  const path = routeOf(ctx.url.pathname);
  const methods = Object.hasOwn(routes, path) ? routes[path] : undefined;
  if (!methods) throw new HttpError(404, "not_found", `No route ${path}.`);
  const handler = methods[ctx.req.method as Method];
  if (!handler) {
    const allow = [...Object.keys(methods), "OPTIONS"].join(", ");
    throw new HttpError(405, "method_not_allowed", `Use ${allow} on ${path}.`, { allow });
  }
  // Every route but these answers for a signed-in user: verify the token once (caller.ts).
  if (!PUBLIC_ROUTES.has(path)) await authenticate(ctx.req, ctx.deps);
  return await handler(ctx);
}
