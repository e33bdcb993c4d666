/**
 * `appsecret_proof`: HMAC-SHA256 with the app secret as the key and the access token as the
 * message, hex-encoded (Meta "Securing Graph API Requests"; the Python SDK's `session.py` does
 * `hmac.new(app_secret, msg=access_token, sha256).hexdigest()`).
 *
 * @module
 */

const encoder = new TextEncoder();

/** Computes `appsecret_proof` for `token` with `appSecret` (lower-case hex, 64 chars). */
export async function appSecretProof(token: string, appSecret: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(appSecret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(token)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}
