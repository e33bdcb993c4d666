/**
 * SHA-256 (WebCrypto), the one digest the functions use: the dedupe key of a webhook body (its
 * text, or its bytes when they are not text), the name of a Facebook token in
 * `fb_set_token_status` (the database is told which token a verdict is about, never the token),
 * and traffic-api's ETags.
 *
 * @module
 */

/** SHA-256 of `data`: a string's UTF-8 bytes, or raw bytes. */
export async function sha256(data: string | Uint8Array): Promise<Uint8Array> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

/** Lowercase hex SHA-256 of `data`: a string's UTF-8 bytes, or raw bytes. */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  return Array.from(await sha256(data), (b) => b.toString(16).padStart(2, "0")).join("");
}
