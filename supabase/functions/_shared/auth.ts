/**
 * Who is calling: a service caller (the service-role key, as the pg_cron jobs and the manual
 * sync send it), a signed-in user (a JWT with `role = authenticated`), or anyone else.
 *
 * The gateway (`verify_jwt`) or PostgREST verifies JWT signatures; functions with `verify_jwt`
 * off compare the service key themselves, in constant time.
 *
 * @module
 */
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

/** Decodes a JWT's payload without verifying it (verification happened upstream). */
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

/**
 * Requires the service-role key in `Authorization: Bearer` or `apikey`. Answers 401 when no
 * credential is given or it is not a known key, 403 when it is a valid but non-service JWT
 * (the anon key, a user's token).
 */
export function requireServiceCaller(req: Request, serviceRoleKey: string): void {
  const candidates = [bearerToken(req), req.headers.get("apikey")].filter(
    (v): v is string => !!v,
  );
  if (candidates.length === 0) {
    throw new HttpError(401, "unauthorized", "A service key is required to call this function.");
  }
  if (candidates.some((c) => timingSafeEqual(c, serviceRoleKey))) return;
  const role = candidates.map((c) => jwtClaims(c)?.role).find((r) => typeof r === "string");
  if (role === "anon" || role === "authenticated") {
    throw new HttpError(403, "forbidden", "Only service callers may call this function.");
  }
  throw new HttpError(401, "unauthorized", "The credential given is not valid.");
}
