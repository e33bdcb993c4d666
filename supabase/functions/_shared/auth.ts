/**
 * Who is calling: a service caller (a secret key `sb_secret_…`, or the legacy service_role JWT,
 * as the pg_cron jobs and the manual sync send them), a signed-in user (a JWT with
 * `role = authenticated`, verified by traffic-api/caller.ts), or anyone else.
 *
 * Supabase's two key generations (docs: supabase.com/docs/guides/api/api-keys and
 * /docs/guides/getting-started/migrating-to-new-api-keys):
 * - secret and publishable keys are not JWTs; callers send them in the `apikey` header (supabase-js
 *   also repeats the key as `Authorization: Bearer`). Edge Functions receive every key of the
 *   project as JSON dictionaries in `SUPABASE_SECRET_KEYS` / `SUPABASE_PUBLISHABLE_KEYS`
 *   (`{"default": "sb_secret_…"}`); a self-hosted or scripted setup may give one key as
 *   `SUPABASE_SECRET_KEY` / `SUPABASE_PUBLISHABLE_KEY`.
 * - the legacy `service_role` / `anon` keys are JWTs, in `SUPABASE_SERVICE_ROLE_KEY` /
 *   `SUPABASE_ANON_KEY`.
 *
 * A function recognises a service caller by comparing the credential to every known service key,
 * in constant time. Functions with `verify_jwt` off (all of ours) rely on this check alone.
 *
 * @module
 */
import { z } from "./deps.ts";
import { keyDictionary, optionalText } from "./env.ts";
import { HttpError } from "./http.ts";

/** Constant-time comparison of two strings (time depends only on the longer length). */
export function timingSafeEqual(a: string, b: string): boolean {
  const enc = new TextEncoder();
  const x = enc.encode(a);
  const y = enc.encode(b);
  const len = Math.max(x.length, y.length);
  let diff = x.length ^ y.length;
  for (let i = 0; i < len; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** The bearer token of a request, or null. */
export function bearerToken(req: Request): string | null {
  const m = req.headers.get("authorization")?.match(/^Bearer\s+(\S+)\s*$/i);
  return m ? m[1] : null;
}

/** Decodes a JWT's payload without verifying it (only for telling key kinds apart). */
export function jwtClaims(token: string): Record<string, unknown> | null {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const b64 = part.replaceAll("-", "+").replaceAll("_", "/");
    const json = new TextDecoder().decode(
      Uint8Array.from(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0)),
    );
    const claims = JSON.parse(json);
    return claims && typeof claims === "object" ? claims : null;
  } catch {
    return null;
  }
}

/** `sb_secret_…` / `sb_publishable_…`: the new, non-JWT API keys. */
export function apiKeyKind(key: string): "secret" | "publishable" | "jwt" | "unknown" {
  if (key.startsWith("sb_secret_")) return "secret";
  if (key.startsWith("sb_publishable_")) return "publishable";
  if (key.split(".").length === 3 && jwtClaims(key)) return "jwt";
  return "unknown";
}

/**
 * The zod fields of a function's config that carry service keys (see {@link serviceKeySchema}).
 */
export const serviceKeyFields = {
  /** Legacy service_role JWT (still provided while the legacy keys are active). */
  SUPABASE_SERVICE_ROLE_KEY: optionalText,
  /** Every secret key of the project, as the platform injects them. */
  SUPABASE_SECRET_KEYS: keyDictionary,
  /** One secret key (self-hosted, the local stack, scripts). */
  SUPABASE_SECRET_KEY: optionalText,
  /** Publishable keys: not service keys, but recognised so they get a 403, not a 401. */
  SUPABASE_PUBLISHABLE_KEYS: keyDictionary,
  SUPABASE_PUBLISHABLE_KEY: optionalText,
};

/** The service keys one config knows (a config from {@link serviceKeyFields}). */
export interface ServiceKeyConfig {
  SUPABASE_SERVICE_ROLE_KEY?: string;
  SUPABASE_SECRET_KEYS?: string[];
  SUPABASE_SECRET_KEY?: string;
  SUPABASE_PUBLISHABLE_KEYS?: string[];
  SUPABASE_PUBLISHABLE_KEY?: string;
}

/** The secret keys (new generation) of a config, deduplicated. */
export function secretKeysOf(c: ServiceKeyConfig): string[] {
  return [...new Set([...(c.SUPABASE_SECRET_KEYS ?? []), c.SUPABASE_SECRET_KEY ?? ""])]
    .filter((k) => k !== "");
}

/**
 * The service-key part of a function's config: combine it with the function's own schema as
 * `z.object({...}).and(serviceKeySchema)` (an intersection, so its check runs and is reported
 * even when other variables are invalid too). Requires at least one service key.
 */
export const serviceKeySchema = z.object(serviceKeyFields).superRefine((c, ctx) => {
  if (secretKeysOf(c).length === 0 && !c.SUPABASE_SERVICE_ROLE_KEY) {
    ctx.addIssue({
      code: "custom",
      path: ["SUPABASE_SERVICE_ROLE_KEY"],
      message: "this or a secret key (SUPABASE_SECRET_KEYS / SUPABASE_SECRET_KEY, sb_secret_…) " +
        "must be set",
    });
  }
});

/**
 * The key a function's own supabase-js client uses: a secret key when the project has one (the
 * gateway turns it into a short-lived service_role JWT), else the legacy service_role key.
 */
export function serviceClientKey(c: ServiceKeyConfig): string {
  const key = secretKeysOf(c)[0] ?? c.SUPABASE_SERVICE_ROLE_KEY;
  if (!key) throw new Error("no service key configured");
  return key;
}

/**
 * Requires a service key in `apikey` (where the docs put the new keys) or `Authorization: Bearer`
 * (legacy callers, and supabase-js, which sends the key in both). Accepts any configured secret key
 * or the legacy service_role key. Answers 401 when no credential is given or it is not a known
 * key, 403 when it is a known non-service key (a publishable key, the anon key, a user's token).
 *
 * `keys` is a function's config (see {@link serviceKeyFields}) or, for older callers, the legacy
 * service_role key itself.
 */
export function requireServiceCaller(req: Request, keys: ServiceKeyConfig | string): void {
  const config: ServiceKeyConfig = typeof keys === "string"
    ? { SUPABASE_SERVICE_ROLE_KEY: keys }
    : keys;
  const candidates = [req.headers.get("apikey"), bearerToken(req)].filter(
    (v): v is string => !!v,
  );
  if (candidates.length === 0) {
    throw new HttpError(401, "unauthorized", "A service key is required to call this function.");
  }
  const service = [...secretKeysOf(config), config.SUPABASE_SERVICE_ROLE_KEY ?? ""].filter((k) =>
    k !== ""
  );
  // Every comparison runs, so the time does not tell which key (or which header) matched.
  let matched = false;
  for (const c of candidates) for (const k of service) matched = timingSafeEqual(c, k) || matched;
  if (matched) return;
  const publishable = [
    ...(config.SUPABASE_PUBLISHABLE_KEYS ?? []),
    config.SUPABASE_PUBLISHABLE_KEY ?? "",
  ].filter((k) => k !== "");
  let isPublishable = false;
  for (const c of candidates) {
    for (const k of publishable) isPublishable = timingSafeEqual(c, k) || isPublishable;
  }
  const role = candidates.map((c) => jwtClaims(c)?.role).find((r) => typeof r === "string");
  if (isPublishable || role === "anon" || role === "authenticated") {
    throw new HttpError(403, "forbidden", "Only service callers may call this function.");
  }
  throw new HttpError(401, "unauthorized", "The credential given is not valid.");
}
