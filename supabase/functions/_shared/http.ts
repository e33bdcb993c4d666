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
 * Wraps a handler: `HttpError`s become their JSON answer, anything else is logged with a request
 * id and answered with a generic 500 that leaks nothing. Every response carries `x-request-id`.
 */
export function withErrors(logger: Logger, handler: Handler): Handler {
  return async (req) => {
    const requestId = req.headers.get("x-request-id") ?? crypto.randomUUID();
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
    const headers = new Headers(res.headers);
    headers.set("x-request-id", requestId);
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  };
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

/** Reads a JSON body, answering 400 on malformed JSON; an empty body reads as `{}`. */
export async function readJson(req: Request, maxBytes = 1_000_000): Promise<unknown> {
  const text = await req.text();
  if (text.length > maxBytes) throw new HttpError(413, "payload_too_large", "Body is too large.");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "invalid_json", "Body is not valid JSON.");
  }
}
