/**
 * The local gateway's key checks, as Supabase documents its hosted API gateway (kept apart from
 * gateway.ts so tests can import them without starting a server).
 *
 * @module
 */
import { signJwt, verifyJwt } from "../lib/jwt.ts";

function errorJson(status: number, message: string): Response {
  return Response.json({ code: status, message }, { status });
}

function bearer(req: Request): string | null {
  const auth = req.headers.get("authorization");
  const m = auth?.match(/^Bearer\s+(.+)$/i);
  return m ? m[1].trim() : null;
}

export interface GatewayKeys {
  /** HS256 secret of the legacy JWT keys and of user tokens. */
  jwtSecret: string;
  /** The stack's `sb_publishable_…` and `sb_secret_…` keys ("" when none). */
  publishableKey: string;
  secretKey: string;
}

/** The REST API's and the functions' checks for one set of keys. */
export function createGatewayAuth(keys: GatewayKeys) {
  const secret = keys.jwtSecret;
  const apiKeyRoles = new Map<string, "anon" | "service_role">();
  if (keys.publishableKey) apiKeyRoles.set(keys.publishableKey, "anon");
  if (keys.secretKey) apiKeyRoles.set(keys.secretKey, "service_role");

  const isNewKey = (k: string) => k.startsWith("sb_publishable_") || k.startsWith("sb_secret_");

  /** Short-lived role JWTs standing for the new keys, re-signed a minute before they expire. */
  const minted = new Map<string, { token: string; exp: number }>();
  async function roleJwt(role: "anon" | "service_role"): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const cached = minted.get(role);
    if (cached && cached.exp - 60 > now) return cached.token;
    const exp = now + 300;
    const token = await signJwt({ iss: "supabase-local", role, iat: now, exp }, secret);
    minted.set(role, { token, exp });
    return token;
  }

  /**
   * The REST API's key check, as documented for the hosted gateway:
   * - every request carries an API key, in `apikey` (a legacy JWT key may also come as bearer);
   * - a publishable or secret key (not a JWT) must be one of the project's; it may appear as
   *   `Authorization: Bearer` only when it equals `apikey`
   *   (supabase.com/docs/guides/api/api-keys, "Known limitations");
   * - a secret key from a browser (its User-Agent) is refused with 401 (same page);
   * - when no user JWT comes with a new key, the key "is transformed into a short-lived JWT"
   *   of its role for PostgREST (supabase.com/docs/guides/auth/jwts); a user JWT is passed on.
   * Returns the headers to forward, or the error answer.
   */
  async function apiKeyAuth(req: Request): Promise<Headers | Response> {
    const apikey = req.headers.get("apikey");
    const auth = bearer(req);
    const key = apikey ?? auth;
    if (!key) return errorJson(401, "No API key found in request");
    const headers = new Headers(req.headers);
    if (isNewKey(key)) {
      const role = apiKeyRoles.get(key);
      if (!role || (apikey === null)) return errorJson(401, "Invalid API key");
      if (role === "service_role" && /^Mozilla\//.test(req.headers.get("user-agent") ?? "")) {
        return errorJson(401, "Secret API keys can only be used in a backend, not in a browser");
      }
      if (!auth || auth === apikey) headers.set("authorization", `Bearer ${await roleJwt(role)}`);
      return headers;
    }
    if (!(await verifyJwt(key, secret))) return errorJson(401, "Invalid API key");
    if (!auth) headers.set("authorization", `Bearer ${key}`);
    return headers;
  }

  /**
   * The `verify_jwt` platform check of a function: a valid JWT as bearer, or — "for migration
   * compatibility" — one of the project's publishable or secret keys in either header
   * (supabase.com/docs/guides/functions/auth-headers). Headers reach the function unchanged: the
   * function authorises API keys itself.
   */
  async function functionAuth(req: Request): Promise<Response | null> {
    const token = bearer(req);
    const apikey = req.headers.get("apikey");
    if ([token, apikey].some((k) => k && isNewKey(k) && apiKeyRoles.has(k))) return null;
    if (!token) return errorJson(401, "Missing authorization header");
    if (!(await verifyJwt(token, secret))) return errorJson(401, "Invalid JWT");
    return null;
  }

  return { apiKeyAuth, functionAuth };
}
