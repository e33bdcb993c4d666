/**
 * Reading a webhook body safely: a size limit enforced on the declared `Content-Length` and on
 * the bytes actually received, and a payload made storable in Postgres.
 *
 * @module
 */
import { HttpError } from "../_shared/http.ts";

const tooLarge = (max: number) =>
  new HttpError(413, "payload_too_large", `Body is larger than ${max} bytes.`);

/**
 * The body as UTF-8 text. Answers 413 when `Content-Length` or the received bytes exceed
 * `maxBytes` (reading stops there), 400 when it holds a NUL byte (Postgres text cannot).
 */
export async function readBody(req: Request, maxBytes: number): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  if (!req.body) return "";
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
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  const text = new TextDecoder().decode(bytes);
  if (text.includes("\0")) {
    throw new HttpError(400, "invalid_webhook", "Body contains a NUL byte.");
  }
  return text;
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
