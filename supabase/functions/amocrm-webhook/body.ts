/**
 * Reading a webhook body safely: the size limit of `_shared/http.ts` (`Content-Length` first,
 * then the bytes as they arrive), and a payload made storable in Postgres.
 *
 * @module
 */
import { readLimitedBytes } from "../_shared/http.ts";

/**
 * What arrived: UTF-8 text Postgres `text` can hold, or bytes it cannot (a NUL byte, invalid
 * UTF-8), which are kept as base64 instead (status `rejected`, with the reason).
 */
export type ReceivedBody =
  | { kind: "text"; text: string }
  | { kind: "undecodable"; bytes: Uint8Array; reason: string };

/** Reads the body; 413 when `Content-Length` or the received bytes exceed `maxBytes`. */
export async function readBody(req: Request, maxBytes: number): Promise<ReceivedBody> {
  const bytes = await readLimitedBytes(req, maxBytes);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { kind: "undecodable", bytes, reason: "Body is not valid UTF-8." };
  }
  if (text.includes("\0")) {
    return { kind: "undecodable", bytes, reason: "Body contains a NUL byte." };
  }
  return { kind: "text", text };
}

/** Standard base64 of `bytes` (what Postgres `decode(…, 'base64')` reads). */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * The payload to store for a parsed `rawBody`: {@link storable}'s copy when the body has a `%00`
 * or a NUL (the only ways a parsed value can hold U+0000; `readBody` refuses the latter), else
 * the parsed value itself, which then serializes exactly as the copy would (no string holds a
 * NUL). The copy is a JSON round trip, ~30-50 µs a webhook: most bodies skip it.
 */
export function storedPayload<T>(rawBody: string, value: T): T {
  return rawBody.includes("%00") || rawBody.includes("\0") ? storable(value) : value;
}

/**
 * A JSON copy of `value` whose strings hold no U+0000 (Postgres `jsonb` rejects it; a form
 * value `%00` decodes to it). Each NUL becomes U+FFFD, the replacement character.
 */
export function storable<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (_k, v) => typeof v === "string" ? v.replaceAll("\0", "\uFFFD") : v),
  );
}
