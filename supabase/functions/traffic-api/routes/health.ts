/**
 * `GET /health`: the function is up, and whether PostgREST (hence the database) answers. Needs no
 * user: the gateway still wants a valid key (the publishable or anon key will do).
 *
 * @module
 */
import { json } from "../../_shared/http.ts";
import { clientKeyOf } from "../config.ts";
import type { RouteContext } from "../context.ts";
import { noQuery, parseQuery } from "../validation.ts";

export async function getHealth({ url, deps }: RouteContext): Promise<Response> {
  parseQuery(url, noQuery);
  let database: "up" | "down" = "down";
  try {
    const res = await deps.fetch(`${deps.config.SUPABASE_URL}/rest/v1/`, {
      headers: { apikey: clientKeyOf(deps.config) },
      signal: AbortSignal.timeout(3000),
    });
    await res.body?.cancel();
    database = res.ok ? "up" : "down";
  } catch {
    database = "down";
  }
  return json({ status: "ok", database }, database === "up" ? 200 : 503, {
    "cache-control": "no-store",
  });
}
