/**
 * Who is calling traffic-api: the signed-in user behind the `Authorization: Bearer <jwt>` header,
 * verified here, so the function runs with `verify_jwt = false` (the platform check does not
 * understand JWT signing keys: supabase.com/docs/guides/functions/auth) and still trusts nothing
 * it has not checked.
 *
 * A token is accepted only when
 * - its header names HS256 (the legacy JWT secret: SUPABASE_JWT_SECRET locally, TRAFFIC_JWT_SECRET
 *   on a hosted project), or ES256 / RS256 / EdDSA with a key of the project's JWKS (inline
 *   SUPABASE_JWKS, else fetched from `<SUPABASE_URL>/auth/v1/.well-known/jwks.json`); `alg: none`,
 *   any other algorithm and an unknown `kid` are refused;
 * - the signature verifies;
 * - `exp` is present and in the future (`nbf`, when present, is not), `aud` is (or contains)
 *   "authenticated", `role` is "authenticated" and `sub` is a UUID.
 *
 * Cheap per request: imported keys are cached per config, a token whose signature verified is
 * remembered (the last 1,000; its claims, `exp` first, are checked again on every use — the
 * dashboard sends the same access token for an hour), the JWKS is fetched at most once per
 * 10 minutes (the Supabase edge caches it as long: docs/guides/auth/jwts) and, for an unknown kid,
 * at most once per 30 s; a request never waits on the network otherwise.
 *
 * `authenticate()` runs once per request before a data route (router.ts); `callerOf()` then reads
 * its result synchronously.
 *
 * @module
 */
import { bearerToken } from "../_shared/auth.ts";
import type { SupabaseClient } from "../_shared/deps.ts";
import { HttpError } from "../_shared/http.ts";
import type { Config } from "./config.ts";
import { userDb } from "./db.ts";
import type { Deps } from "./context.ts";

/** The signed-in user behind a request. */
export interface Caller {
  userId: string;
  /** From the JWT's `app_metadata.traffic_role`; RLS enforces the same rule in SQL. */
  isAdmin: boolean;
  db: SupabaseClient;
}

export type Claims = Record<string, unknown>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Clock skew tolerated on `nbf` only (an expired token is expired). */
const NBF_LEEWAY_S = 5;
const JWKS_TTL_MS = 10 * 60 * 1000;
/** Tokens whose signature verified, kept so a dashboard's repeated calls skip the crypto. */
const VERIFIED_CACHE_SIZE = 1000;
const JWKS_MIN_REFRESH_MS = 30 * 1000;

/** Why a token was refused (kept for the log; the caller gets one generic message). */
export class TokenError extends Error {}

interface Jwk {
  kty?: string;
  kid?: string;
  alg?: string;
  crv?: string;
  use?: string;
  [k: string]: unknown;
}

type Alg = "HS256" | "ES256" | "RS256" | "EdDSA";

const ALGS: Record<
  Alg,
  {
    kty: string;
    import: AlgorithmIdentifier | EcKeyImportParams | RsaHashedImportParams;
    verify: AlgorithmIdentifier | EcdsaParams;
  }
> = {
  HS256: { kty: "oct", import: { name: "HMAC", hash: "SHA-256" }, verify: { name: "HMAC" } },
  ES256: {
    kty: "EC",
    import: { name: "ECDSA", namedCurve: "P-256" },
    verify: { name: "ECDSA", hash: "SHA-256" },
  },
  RS256: {
    kty: "RSA",
    import: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    verify: { name: "RSASSA-PKCS1-v1_5" },
  },
  EdDSA: { kty: "OKP", import: { name: "Ed25519" }, verify: { name: "Ed25519" } },
};

function b64urlBytes(s: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new TokenError("not base64url");
  const pad = s.length % 4 === 0 ? "" : "=".repeat(4 - (s.length % 4));
  let bin: string;
  try {
    bin = atob(s.replaceAll("-", "+").replaceAll("_", "/") + pad);
  } catch {
    throw new TokenError("not base64url");
  }
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function b64urlJson(s: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(b64urlBytes(s)));
  } catch {
    throw new TokenError("malformed token");
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new TokenError("malformed token");
  return v as Record<string, unknown>;
}

/** `{"keys":[…]}` or `[…]` → the keys; anything else → none. */
function jwksKeys(v: unknown): Jwk[] {
  const keys = Array.isArray(v) ? v : (v as { keys?: unknown } | null)?.keys;
  return Array.isArray(keys) ? keys.filter((k): k is Jwk => !!k && typeof k === "object") : [];
}

function algOfJwk(k: Jwk): Alg | null {
  if (k.alg && Object.hasOwn(ALGS, k.alg)) return k.alg as Alg;
  if (k.kty === "EC" && k.crv === "P-256") return "ES256";
  if (k.kty === "RSA") return "RS256";
  if (k.kty === "OKP" && k.crv === "Ed25519") return "EdDSA";
  return null;
}

/** Verifies tokens for one configuration; keys are imported once and kept. */
export class JwtVerifier {
  #hmac: Promise<CryptoKey[]>;
  #inline: Jwk[];
  #remote: { keys: Jwk[]; at: number } | null = null;
  #lastFetch = -Infinity;
  #inflight: Promise<void> | null = null;
  #imported = new Map<string, Promise<CryptoKey | null>>();
  /** token → claims of tokens whose signature verified (the claims are re-checked on each use). */
  #verified = new Map<string, { claims: Claims; at: number }>();

  constructor(
    private readonly opts: {
      hsSecrets: string[];
      jwks?: unknown;
      jwksUrl?: string;
      fetch: typeof fetch;
      now: () => number;
      onWarn?: (message: string) => void;
    },
  ) {
    const enc = new TextEncoder();
    this.#hmac = Promise.all(
      opts.hsSecrets.map((s) =>
        crypto.subtle.importKey("raw", enc.encode(s), ALGS.HS256.import, false, ["verify"])
      ),
    );
    this.#inline = jwksKeys(opts.jwks);
  }

  /** The verified claims of `token`; throws {@link TokenError} saying why not. */
  async verify(token: string): Promise<Claims> {
    const known = this.#verified.get(token);
    // Kept no longer than the JWKS is (a revoked key stops working within 10 minutes).
    if (known && Date.now() - known.at <= JWKS_TTL_MS) {
      checkClaims(known.claims, this.opts.now() / 1000); // expiry is checked again every time
      return known.claims;
    }
    const parts = token.split(".");
    if (parts.length !== 3) throw new TokenError("not a JWT");
    const header = b64urlJson(parts[0]);
    const alg = header.alg;
    if (typeof alg !== "string" || !Object.hasOwn(ALGS, alg)) {
      throw new TokenError(`algorithm ${String(alg)} is not accepted`);
    }
    const kid = typeof header.kid === "string" ? header.kid : undefined;
    const keys = await this.#keysFor(alg as Alg, kid);
    if (keys.length === 0) throw new TokenError(`no key for alg ${alg}${kid ? ` kid ${kid}` : ""}`);
    const signature = b64urlBytes(parts[2]);
    const data = new TextEncoder().encode(`${parts[0]}.${parts[1]}`);
    let ok = false;
    for (const key of keys) {
      const good = await crypto.subtle.verify(ALGS[alg as Alg].verify, key, signature, data)
        .catch(() => false);
      if (good) {
        ok = true;
        break;
      }
    }
    if (!ok) throw new TokenError("bad signature");
    const claims = b64urlJson(parts[1]);
    checkClaims(claims, this.opts.now() / 1000);
    if (this.#verified.size >= VERIFIED_CACHE_SIZE) {
      this.#verified.delete(this.#verified.keys().next().value!);
    }
    this.#verified.delete(token);
    this.#verified.set(token, { claims, at: Date.now() });
    return claims;
  }

  async #keysFor(alg: Alg, kid: string | undefined): Promise<CryptoKey[]> {
    if (alg === "HS256") {
      const keys = await this.#hmac;
      if (keys.length === 0) {
        this.opts.onWarn?.(
          "an HS256 token arrived but no JWT secret is configured (TRAFFIC_JWT_SECRET)",
        );
      }
      return keys;
    }
    let found = await this.#importMatching(alg, kid, [...this.#inline, ...(this.#remoteKeys())]);
    if (found.length > 0) return found;
    await this.#refresh(this.#remote === null || Date.now() - this.#remote.at > JWKS_TTL_MS);
    found = await this.#importMatching(alg, kid, this.#remoteKeys());
    return found;
  }

  #remoteKeys(): Jwk[] {
    if (!this.#remote) return [];
    // Past its lifetime the cached set is still used until a refresh succeeds (a rotation adds
    // keys before it uses them), but a refresh is due.
    if (Date.now() - this.#remote.at > JWKS_TTL_MS) void this.#refresh(true).catch(() => {});
    return this.#remote.keys;
  }

  /** Fetches the remote JWKS: when due, or (for an unknown kid) at most every 30 s. */
  async #refresh(due: boolean): Promise<void> {
    if (!this.opts.jwksUrl) return;
    if (this.#inflight) return await this.#inflight;
    if (!due && Date.now() - this.#lastFetch < JWKS_MIN_REFRESH_MS) return;
    this.#lastFetch = Date.now();
    this.#inflight = (async () => {
      try {
        const res = await this.opts.fetch(this.opts.jwksUrl!, {
          signal: AbortSignal.timeout(3000),
        });
        if (!res.ok) {
          await res.body?.cancel();
          throw new Error(`HTTP ${res.status}`);
        }
        this.#remote = { keys: jwksKeys(await res.json()), at: Date.now() };
        this.#imported.clear();
        this.#verified.clear(); // a key may have been revoked
      } catch (err) {
        this.opts.onWarn?.(`could not fetch the JWKS: ${err instanceof Error ? err.message : err}`);
      } finally {
        this.#inflight = null;
      }
    })();
    return await this.#inflight;
  }

  async #importMatching(alg: Alg, kid: string | undefined, jwks: Jwk[]): Promise<CryptoKey[]> {
    const candidates = jwks.filter((k) =>
      algOfJwk(k) === alg && k.kty === ALGS[alg].kty && (kid === undefined || k.kid === kid) &&
      (k.use === undefined || k.use === "sig")
    );
    const out: CryptoKey[] = [];
    for (const jwk of candidates) {
      const id = `${alg}:${jwk.kid ?? ""}:${JSON.stringify(jwk)}`;
      let p = this.#imported.get(id);
      if (!p) {
        const { alg: _a, key_ops: _o, ext: _e, ...pub } = jwk;
        p = crypto.subtle.importKey("jwk", pub as JsonWebKey, ALGS[alg].import, false, ["verify"])
          .catch(() => null);
        this.#imported.set(id, p);
      }
      const key = await p;
      if (key) out.push(key);
    }
    return out;
  }
}

/** The claim rules of a user access token (after the signature verified). */
export function checkClaims(claims: Claims, nowSeconds: number): void {
  const { exp, nbf, aud, role, sub } = claims;
  if (typeof exp !== "number" || !Number.isFinite(exp)) throw new TokenError("no exp");
  if (exp <= nowSeconds) throw new TokenError("expired");
  if (nbf !== undefined && (typeof nbf !== "number" || nbf > nowSeconds + NBF_LEEWAY_S)) {
    throw new TokenError("not valid yet");
  }
  const auds = Array.isArray(aud) ? aud : [aud];
  if (!auds.includes("authenticated")) throw new TokenError("aud is not authenticated");
  if (role !== "authenticated") throw new TokenError("role is not authenticated");
  if (typeof sub !== "string" || !UUID.test(sub)) throw new TokenError("sub is not a user id");
}

const verifiers = new WeakMap<Config, JwtVerifier>();

/** The verifier of a config (built once: the imported keys and the JWKS cache live in it). */
export function verifierFor(deps: Deps): JwtVerifier {
  let v = verifiers.get(deps.config);
  if (!v) {
    const c = deps.config;
    let jwks: unknown;
    try {
      jwks = c.SUPABASE_JWKS ? JSON.parse(c.SUPABASE_JWKS) : undefined;
    } catch {
      deps.logger.warn("SUPABASE_JWKS is not JSON; ignored");
    }
    const warned = new Set<string>();
    v = new JwtVerifier({
      hsSecrets: [c.SUPABASE_JWT_SECRET, c.TRAFFIC_JWT_SECRET].filter((s): s is string => !!s),
      jwks,
      jwksUrl: c.TRAFFIC_JWKS_URL ??
        `${c.SUPABASE_URL.replace(/\/+$/, "")}/auth/v1/.well-known/jwks.json`,
      fetch: deps.fetch,
      now: () => (deps.now ? deps.now() : new Date()).getTime(),
      onWarn: (message) => {
        if (warned.has(message)) return;
        warned.add(message);
        deps.logger.warn(`traffic-api auth: ${message}`);
      },
    });
    verifiers.set(deps.config, v);
  }
  return v;
}

const verified = new WeakMap<Request, { claims: Claims; token: string }>();

/**
 * Verifies the request's bearer token (see the module doc); remembers the claims for
 * {@link callerOf}. Answers 401 for no token, an invalid one, or one that is not a user's.
 */
export async function authenticate(req: Request, deps: Deps): Promise<void> {
  const token = bearerToken(req);
  if (!token) {
    throw new HttpError(401, "unauthorized", "Sign in: this route needs a user's access token.");
  }
  let claims: Claims;
  try {
    claims = await verifierFor(deps).verify(token);
  } catch (err) {
    if (!(err instanceof TokenError)) throw err;
    throw new HttpError(
      401,
      "unauthorized",
      err.message === "expired"
        ? "The access token has expired; sign in again."
        : "Sign in: this route needs a valid user access token.",
    );
  }
  verified.set(req, { claims, token });
}

/**
 * `req` with other headers, as the same verified caller (for a route computed on the caller's
 * behalf with changed headers, e.g. the response cache dropping `If-None-Match`).
 */
export function sameCaller(req: Request, headers: Headers): Request {
  const derived = new Request(req, { headers });
  const v = verified.get(req);
  if (v) verified.set(derived, v);
  return derived;
}

function verifiedOf(req: Request): { claims: Claims; token: string } {
  const v = verified.get(req);
  if (!v) {
    throw new HttpError(401, "unauthorized", "Sign in: this route needs a user's access token.");
  }
  return v;
}

/**
 * The access token {@link authenticate} verified for `req` (what PostgREST and RLS decide
 * visibility from); a request that was not authenticated is a 401, as in {@link callerOf}.
 */
export function verifiedToken(req: Request): string {
  return verifiedOf(req).token;
}

/**
 * The caller of a data route, from the claims {@link authenticate} verified. A request that was
 * not authenticated is a 401.
 */
export function callerOf(req: Request, deps: Deps): Caller {
  const v = verifiedOf(req);
  const appMetadata = v.claims.app_metadata as Record<string, unknown> | undefined;
  const db = userDb(deps, v.token);
  return { userId: v.claims.sub as string, isAdmin: appMetadata?.traffic_role === "admin", db };
}
