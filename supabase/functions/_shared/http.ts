/**
 * HTTP plumbing shared by every function: one error type for expected failures, JSON responses,
 * and a last-resort wrapper that logs the cause with a request id and answers a generic 500.
 *
 * @module
 */
import type { Logger } from "./logger.ts";

/** An expected HTTP failure. Its `message` is safe to show to the caller. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** A JSON response with the given status and extra headers. */
export function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/json; charset=utf-8");
  return new Response(JSON.stringify(body), { status, headers: h });
}

/** The JSON error body every function answers with: `{ "error": { "code", "message" } }`. */
export function errorResponse(
  status: number,
  code: string,
  message: string,
  headers: HeadersInit = {},
): Response {
  return json({ error: { code, message } }, status, headers);
}

export type Handler = (req: Request) => Promise<Response>;

/**
 * The 404 or 405 of a function whose one route is `method /<path>` (a trailing slash allowed), or
 * null when `req` is that route.
 */
export function outsideRoute(req: Request, path: string, method = "POST"): Response | null {
  const given = new URL(req.url).pathname.replace(/\/+$/, "");
  if (given !== path) {
    return errorResponse(404, "not_found", `No route ${req.method} ${given || "/"}.`);
  }
  if (req.method !== method) {
    return errorResponse(405, "method_not_allowed", `Use ${method}.`, { allow: method });
  }
  return null;
}

/**
 * Wraps a handler: `HttpError`s become their JSON answer, anything else is logged with a request
 * id and answered with a generic 500 that leaks nothing. Every response carries `x-request-id`.
 */
export function withErrors(logger: Logger, handler: Handler): Handler {
  return async (req) => {
    const requestId = requestIdOf(req);
    let res: Response;
    try {
      res = await handler(req);
    } catch (err) {
      if (err instanceof HttpError) {
        res = errorResponse(err.status, err.code, err.message, err.headers);
      } else {
        logger.error("unhandled error", { request_id: requestId, error: describeError(err) });
        res = errorResponse(500, "internal_error", `Internal error (request id ${requestId}).`);
      }
    }
    return withHeaders(res, (h) => h.set("x-request-id", requestId));
  };
}

/**
 * `res` with its headers changed by `change`: in place when they may be changed (every response
 * a handler builds), so the body is passed on as it is (a byte body stays one write, not a stream
 * read chunk by chunk, and nothing is copied); a copy only for a response whose headers are
 * immutable (one `fetch` returned).
 */
export function withHeaders(res: Response, change: (headers: Headers) => void): Response {
  try {
    change(res.headers);
    return res;
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
  }
  const headers = new Headers(res.headers);
  change(headers);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

/** A request id a client may choose: short, and safe in a header, a log line and HTML. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request's id: the client's `x-request-id` when it is a short safe token (at most 128 of
 * `A-Z a-z 0-9 . _ : -`), else a new UUID — a client's header is never echoed unchecked.
 */
export function requestIdOf(req: Request): string {
  const given = req.headers.get("x-request-id");
  return given !== null && SAFE_REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

/** A short description of an unknown thrown value, for logs. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, "payload_too_large", `Body is larger than ${maxBytes} bytes.`);
}

/**
 * Reads a body of at most `maxBytes` bytes. A `Content-Length` above the limit is refused before
 * a byte is read; otherwise the bytes are counted as they arrive and reading stops (the stream
 * is cancelled) as soon as they pass the limit. Either way: 413, and never more than the limit
 * plus one chunk in memory.
 */
export async function readLimitedBytes(req: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = req.headers.get("content-length");
  if (declared !== null && /^\s*\d+\s*$/.test(declared) && Number(declared) > maxBytes) {
    await req.body?.cancel().catch(() => {});
    throw tooLarge(maxBytes);
  }
  if (!req.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = req.body.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return bytes;
}

/**
 * Reads a JSON body of at most `maxBytes` bytes (413 above, see {@link readLimitedBytes}),
 * answering 400 on malformed JSON or bytes that are not UTF-8; an empty body reads as `{}`.
 */
export async function readJson(req: Request, maxBytes = 1_000_000): Promise<unknown> {
  const bytes = await readLimitedBytes(req, maxBytes);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, "invalid_json", "Body is not valid UTF-8.");
  }
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "invalid_json", "Body is not valid JSON.");
  }
}
