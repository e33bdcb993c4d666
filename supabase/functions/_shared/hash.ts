/**
 * SHA-256 as lowercase hex (WebCrypto), the one digest the functions use: the dedupe key of a
 * webhook body (its text, or its bytes when they are not text) and the name of a Facebook token in
 * `fb_set_token_status` (the database is told which token a verdict is about, never the token).
 *
 * @module
 */

/** Lowercase hex SHA-256 of `data`: a string's UTF-8 bytes, or raw bytes. */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
