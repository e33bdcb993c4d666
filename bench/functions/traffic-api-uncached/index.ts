/**
 * Bench-only (served by `npm run bench`'s stack, never deployed): traffic-api itself — the same
 * handler, caller verification, routes, SQL and supabase-js client — with its response cache off
 * (`TRAFFIC_API_RESPONSE_CACHE=off`), so every request does the route's real work. That is what a
 * request costs when something it reads was written since the last answer (a webhook's lead, a
 * sync page, an aggregation run): the cache-miss figure beside the revalidating repeats.
 * The path `/traffic-api-uncached/...` is handed to the handler as `/traffic-api/...`.
 */
import { createLogger } from "../../../supabase/functions/_shared/logger.ts";
import { loadConfig } from "../../../supabase/functions/traffic-api/config.ts";
import { createHandler } from "../../../supabase/functions/traffic-api/handler.ts";

const config = loadConfig({ ...Deno.env.toObject(), TRAFFIC_API_RESPONSE_CACHE: "off" });
const handler = createHandler({
  config,
  logger: createLogger({ fn: "traffic-api-uncached" }),
  fetch,
});

Deno.serve((req) => {
  const url = new URL(req.url);
  url.pathname = url.pathname.replace(/^\/traffic-api-uncached(?=\/|$)/, "/traffic-api");
  return handler(new Request(url, req));
});
