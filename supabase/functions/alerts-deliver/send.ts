/**
 * One HTTP attempt for one outbox message, and what its answer means.
 *
 * - Telegram (`kind = telegram`): `POST https://api.telegram.org/bot<token>/sendMessage` with a
 *   JSON body `{ chat_id, text }` — the Bot API takes JSON bodies, `chat_id` as a number or
 *   `@channelusername`, `text` of 1–4096 characters, and answers `{ ok, description, parameters:
 *   { retry_after } }` (https://core.telegram.org/bots/api#making-requests,
 *   https://core.telegram.org/bots/api#sendmessage, #responseparameters).
 * - A generic webhook: `POST <url>` with `{ idempotency_key, kind, text, alert }` and the header
 *   `Idempotency-Key`, so a receiver can drop a repeat.
 *
 * 2xx = delivered. 408, 425, 429, 5xx, a timeout or a network error = try again later (Telegram's
 * `retry_after` or a `Retry-After` header in seconds is honoured). Any other answer, including a
 * redirect (never followed: it could lead anywhere), = failed for good.
 *
 * @module
 */
import { redactSecrets } from "../_shared/logger.ts";
import type { ClaimedMessage, Settlement } from "./store.ts";

export function requestFor(
  msg: ClaimedMessage,
): { url: string; init: RequestInit } {
  const headers: Record<string, string> = {
    "content-type": "application/json",
  };
  let body: unknown;
  if (msg.destination_kind === "telegram") {
    body = { chat_id: msg.chat_id, text: msg.text.slice(0, 4096) };
  } else {
    headers["idempotency-key"] = msg.idempotency_key;
    body = {
      idempotency_key: msg.idempotency_key,
      kind: msg.kind,
      text: msg.text,
      alert: msg.payload,
    };
  }
  return {
    url: msg.url,
    init: {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      redirect: "manual",
    },
  };
}

const RETRYABLE = new Set([408, 425, 429]);

function retryAfter(res: Response, body: unknown): number | null {
  const fromBody = (body as { parameters?: { retry_after?: unknown } } | null)
    ?.parameters
    ?.retry_after;
  if (typeof fromBody === "number" && fromBody > 0) {
    return Math.min(Math.ceil(fromBody), 3600);
  }
  const header = Number(res.headers.get("retry-after"));
  return Number.isFinite(header) && header > 0 ? Math.min(Math.ceil(header), 3600) : null;
}

/** Sends one message; never throws. `secrets` are redacted out of every error kept. */
export async function sendOnce(
  msg: ClaimedMessage,
  opts: { fetch: typeof fetch; timeoutMs: number; secrets: string[] },
): Promise<Settlement> {
  const { url, init } = requestFor(msg);
  const clean = (s: string) => redactSecrets(s, opts.secrets).slice(0, 500);
  let res: Response;
  try {
    res = await opts.fetch(url, {
      ...init,
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (err) {
    const timedOut = err instanceof DOMException &&
      (err.name === "TimeoutError" || err.name === "AbortError");
    return {
      outcome: "retry",
      error: timedOut ? `no answer within ${opts.timeoutMs} ms` : clean(
        `request failed: ${err instanceof Error ? err.message : String(err)}`,
      ),
    };
  }
  const text = await res.text().catch(() => "");
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text below
  }
  if (res.status >= 200 && res.status < 300) {
    return { outcome: "delivered", statusCode: res.status };
  }
  const description = (body as { description?: unknown } | null)?.description;
  const detail = typeof description === "string" ? description : text.slice(0, 200);
  const error = clean(`HTTP ${res.status}${detail ? `: ${detail}` : ""}`);
  if (res.status >= 300 && res.status < 400) {
    return {
      outcome: "failed",
      statusCode: res.status,
      error: clean(
        `HTTP ${res.status}: the destination redirects; redirects are not followed`,
      ),
    };
  }
  if (RETRYABLE.has(res.status) || res.status >= 500) {
    return {
      outcome: "retry",
      statusCode: res.status,
      error,
      retryAfterSeconds: retryAfter(res, body),
    };
  }
  return { outcome: "failed", statusCode: res.status, error };
}
