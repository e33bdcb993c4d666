/**
 * `GET /openapi.json`: the OpenAPI 3.1 document (built once per instance). Needs no user.
 *
 * @module
 */
import { json } from "../../_shared/http.ts";
import type { RouteContext } from "../context.ts";
import { openApiDocument } from "../openapi.ts";

let cached: { url: string; doc: unknown } | undefined;

export function getOpenApi({ deps }: RouteContext): Promise<Response> {
  const url = `${deps.config.SUPABASE_URL.replace(/\/+$/, "")}/functions/v1/traffic-api`;
  if (cached?.url !== url) cached = { url, doc: openApiDocument(url) };
  return Promise.resolve(json(cached.doc, 200, { "cache-control": "public, max-age=300" }));
}
