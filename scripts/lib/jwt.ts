/**
 * HS256 JSON Web Tokens, as Supabase Auth signs them with the project's JWT secret. Used by the
 * local stack (its keys, the gateway's `verify_jwt`) and by tests (user tokens).
 *
 * @module
 */

const enc = new TextEncoder();

function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function b64urlDecode(s: string): Uint8Array<ArrayBuffer> {
  const pad = s.length % 4 === 0 ? "" : "=".repeat(4 - (s.length % 4));
  const bin = atob(s.replaceAll("-", "+").replaceAll("_", "/") + pad);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function hmacKey(secret: string): Promise<CryptoKey> {
  return await crypto.subtle.importKey(
    "raw",
    enc.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}

/** Signs `payload` as an HS256 JWT. */
export async function signJwt(payload: Record<string, unknown>, secret: string): Promise<string> {
  const header = b64url(enc.encode(JSON.stringify({ alg: "HS256", typ: "JWT" })));
  const body = b64url(enc.encode(JSON.stringify(payload)));
  const sig = await crypto.subtle.sign(
    "HMAC",
    await hmacKey(secret),
    enc.encode(`${header}.${body}`),
  );
  return `${header}.${body}.${b64url(new Uint8Array(sig))}`;
}

/**
 * Verifies an HS256 JWT's signature and `exp`; returns its payload, or `null` when the token is
 * malformed, signed with another key or algorithm, or expired.
 */
export async function verifyJwt(
  token: string,
  secret: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<Record<string, unknown> | null> {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  try {
    const header = JSON.parse(new TextDecoder().decode(b64urlDecode(parts[0])));
    if (header?.alg !== "HS256") return null;
    const ok = await crypto.subtle.verify(
      "HMAC",
      await hmacKey(secret),
      b64urlDecode(parts[2]),
      enc.encode(`${parts[0]}.${parts[1]}`),
    );
    if (!ok) return null;
    const payload = JSON.parse(new TextDecoder().decode(b64urlDecode(parts[1])));
    if (!payload || typeof payload !== "object") return null;
    if (typeof payload.exp === "number" && payload.exp < nowSeconds) return null;
    return payload;
  } catch {
    return null;
  }
}

/** The stack's anon and service-role keys, signed as `supabase start` signs them. */
export async function apiKeys(secret: string): Promise<{ anon: string; serviceRole: string }> {
  const iat = Math.floor(Date.now() / 1000);
  const exp = iat + 10 * 365 * 24 * 3600;
  return {
    anon: await signJwt({ iss: "supabase-local", role: "anon", iat, exp }, secret),
    serviceRole: await signJwt({ iss: "supabase-local", role: "service_role", iat, exp }, secret),
  };
}

/** A signed-in user's access token, as Supabase Auth would issue it. */
export async function userJwt(
  secret: string,
  user: { id: string; email?: string; appMetadata?: Record<string, unknown> },
  ttlSeconds = 3600,
): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  return await signJwt({
    iss: "supabase-local",
    aud: "authenticated",
    role: "authenticated",
    sub: user.id,
    email: user.email ?? `${user.id}@example.test`,
    app_metadata: { provider: "email", ...(user.appMetadata ?? {}) },
    user_metadata: {},
    iat,
    exp: iat + ttlSeconds,
  }, secret);
}
