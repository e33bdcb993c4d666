/**
 * `GET /openapi.json`: the OpenAPI 3.1 document (built once per instance). Needs no user.
 *
 * @module
 */
import { json } from "../../_shared/http.ts";
import type { RouteContext } from "../context.ts";
import { openApiDocument } from "../openapi.ts";
import { noQuery, parseQuery } from "../validation.ts";

let cached: { server: string; doc: unknown } | undefined;

export function getOpenApi({ url, deps }: RouteContext): Promise<Response> {
  parseQuery(url, noQuery);
  const server = `${deps.config.SUPABASE_URL.replace(/\/+$/, "")}/functions/v1/traffic-api`;
  if (cached?.server !== server) cached = { server, doc: openApiDocument(server) };
  return Promise.resolve(json(cached.doc, 200, { "cache-control": "public, max-age=300" }));
}
