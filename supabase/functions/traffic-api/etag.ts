/**
 * Conditional GETs: a strong `ETag` (SHA-256 of the exact response body) and `If-None-Match`
 * answered with 304. The body already differs per caller (RLS), so the tag does too.
 *
 * @module
 */
import { sha256 } from "../_shared/hash.ts";

/** `Cache-Control` of the data routes: the numbers change at most every 10 minutes (the
 * aggregation's schedule). A browser reuses a response for 60 s, then may show it for up to 9
 * more minutes while it revalidates in the background (a 304 when nothing changed). `private`:
 * the body belongs to one user and must not sit in a shared cache. */
export const DATA_CACHE_CONTROL = "private, max-age=60, stale-while-revalidate=540";

/** The strong entity tag of `body` (its UTF-8 text, or the bytes sent): base64url of its SHA-256, quoted. */
export async function etagOf(body: string | Uint8Array): Promise<string> {
  const digest = await sha256(body);
  let bin = "";
  for (const b of digest) bin += String.fromCharCode(b);
  const b64 = btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  return `"${b64}"`;
}

/** True when `If-None-Match` names `etag` (weak comparison, as RFC 9110 asks for GET) or is `*`. */
export function ifNoneMatchHits(header: string | null, etag: string): boolean {
  if (!header) return false;
  const opaque = (t: string) => t.trim().replace(/^W\//, "");
  const want = opaque(etag);
  return header.split(",").some((t) => t.trim() === "*" || opaque(t) === want);
}

/**
 * A JSON 200 with `ETag` and `Cache-Control`, or a bodiless 304 with the same headers when the
 * request's `If-None-Match` already names this body.
 */
export async function conditionalJson(
  req: Request,
  body: unknown,
  cacheControl = DATA_CACHE_CONTROL,
): Promise<Response> {
  return await conditionalText(req, JSON.stringify(body), cacheControl);
}

/** {@link conditionalJson} of a body already serialised (`text` is JSON). */
export async function conditionalText(
  req: Request,
  text: string,
  cacheControl = DATA_CACHE_CONTROL,
): Promise<Response> {
  const etag = await etagOf(text);
  const headers = new Headers({ etag, "cache-control": cacheControl, "vary": "Authorization" });
  if (ifNoneMatchHits(req.headers.get("if-none-match"), etag)) {
    return new Response(null, { status: 304, headers });
  }
  headers.set("content-type", "application/json; charset=utf-8");
  return new Response(text, { status: 200, headers });
}
