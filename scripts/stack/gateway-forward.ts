/**
 * How the local gateway forwards a request upstream (PostgREST, a function) and hands the answer
 * back: hop-by-hop headers dropped both ways, the body passed through.
 *
 * One thing differs from a plain pass-through, because of what Deno's `fetch` does: it asks the
 * upstream for `gzip,br` when the request names no `Accept-Encoding`, and it DECODES a gzip or br
 * answer, unless the request's `Accept-Encoding` is `identity`, yet leaves `Content-Encoding`
 * (and the encoded size in `Content-Length`) on the Response (Deno 2.9.6, pinned by
 * tests/unit/stack/gateway-forward.test.ts). Handed on as it was, a client got plain bytes
 * labelled gzip ("Invalid gzip header" in a fetch client; curl printed plain JSON under
 * `content-encoding: gzip`). So when fetch decoded the body, the answer goes out without
 * `Content-Encoding` (`Content-Length` never goes out: the body is streamed): the decoded bytes,
 * labelled as what they are. Any other
 * coding (deflate, zstd, …: fetch leaves those bytes alone) keeps its header. The hosted gateway
 * is a proxy in front of the runtime that forwards the function's bytes and headers as they are;
 * what a client decodes is the same either way, only the bytes on the local wire are larger.
 *
 * @module
 */

/** Headers that describe one connection or one framing, never forwarded as they are. */
export const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
];

/** Content codings Deno's fetch decodes by itself (it keeps their `Content-Encoding` header). */
const DECODED_BY_FETCH = new Set(["gzip", "br"]);

/**
 * Whether `fetch` handed back the decoded body of an answer with this `Content-Encoding`, for a
 * request sent with this `Accept-Encoding` (null: none; fetch then asks for `gzip,br` itself).
 */
export function decodedByFetch(
  acceptEncoding: string | null,
  contentEncoding: string | null,
): boolean {
  if (!contentEncoding) return false;
  if (acceptEncoding?.trim().toLowerCase() === "identity") return false;
  return DECODED_BY_FETCH.has(contentEncoding.trim().toLowerCase());
}

function errorJson(status: number, message: string): Response {
  return Response.json({ code: status, message }, { status });
}

/** Sends `req` (its method and body, with `headers`) to `target` and returns the answer. */
export async function forward(req: Request, target: string, headers: Headers): Promise<Response> {
  for (const h of HOP_BY_HOP) headers.delete(h);
  const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
  try {
    const res = await fetch(target, { method: req.method, headers, body, redirect: "manual" });
    const out = new Headers(res.headers);
    for (const h of HOP_BY_HOP) out.delete(h);
    if (decodedByFetch(headers.get("accept-encoding"), res.headers.get("content-encoding"))) {
      out.delete("content-encoding");
    }
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers: out });
  } catch (err) {
    console.error(
      `[gateway] upstream ${target} failed: ${err instanceof Error ? err.message : err}`,
    );
    return errorJson(502, "Upstream is not reachable");
  }
}
