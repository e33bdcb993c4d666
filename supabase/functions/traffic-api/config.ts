/** traffic-api's environment, parsed once with zod. */
import { z } from "../_shared/deps.ts";
import { commonEnv, envVar, keyDictionary, optionalText, parseEnv } from "../_shared/env.ts";
import { invalidOrigins } from "./cors.ts";

/**
 * The key traffic-api sends as `apikey` to PostgREST (with the user's JWT as bearer) and how it
 * verifies users' JWTs. Checked on its own (an intersection), so its issue is reported together
 * with the others'.
 */
const keySchema = z.object({
  /** Publishable keys, as the platform injects them (`{"default":"sb_publishable_…"}`). */
  SUPABASE_PUBLISHABLE_KEYS: keyDictionary,
  /** One publishable key (the local stack, self-hosted). */
  SUPABASE_PUBLISHABLE_KEY: optionalText,
  /** The legacy anon JWT (used when no publishable key is configured). */
  SUPABASE_ANON_KEY: optionalText,
  /**
   * HS256 secret(s) user tokens may be signed with: the legacy JWT secret. The local stack sets
   * SUPABASE_JWT_SECRET; on a hosted project still signing with the legacy secret, set
   * TRAFFIC_JWT_SECRET (`supabase secrets set` refuses names starting with SUPABASE_).
   */
  SUPABASE_JWT_SECRET: optionalText,
  TRAFFIC_JWT_SECRET: optionalText,
  /** The project's JSON Web Key Set, inline (the platform provides it to Edge Functions). */
  SUPABASE_JWKS: optionalText,
  /** Where to fetch the JWKS when a token's key is not known yet (default: the Auth server's). */
  TRAFFIC_JWKS_URL: optionalText.pipe(
    z.url({ message: "TRAFFIC_JWKS_URL must be a URL" }).optional(),
  ),
}).superRefine((c, ctx) => {
  if (!c.SUPABASE_PUBLISHABLE_KEYS?.length && !c.SUPABASE_PUBLISHABLE_KEY && !c.SUPABASE_ANON_KEY) {
    ctx.addIssue({
      code: "custom",
      path: ["SUPABASE_ANON_KEY"],
      message: "this or a publishable key (SUPABASE_PUBLISHABLE_KEYS / SUPABASE_PUBLISHABLE_KEY) " +
        "must be set",
    });
  }
});

const schema = z.object({
  ...commonEnv, // SUPABASE_URL, TRAFFIC_TIMEZONE (whose days the periods and ranges are)
  /**
   * Comma-separated origins allowed by CORS (`https://dash.example`); `*` allows any. Default
   * none: only same-origin pages (the gateway's `/dashboard/`) read the API from a browser.
   */
  CORS_ALLOWED_ORIGINS: envVar(z.string().default("")).refine(
    (v) => invalidOrigins(v).length === 0,
    {
      message:
        "CORS_ALLOWED_ORIGINS must be *, or origins like https://dash.example, comma-separated",
    },
  ),
  /**
   * `on` (default): the data routes answer a repeated request from a per-token response cache
   * while `traffic_api_check` says nothing they read has changed (cache.ts); `off`: every
   * request is computed.
   */
  TRAFFIC_API_RESPONSE_CACHE: envVar(z.enum(["on", "off"]).default("on")),
  /**
   * Milliseconds a kept body is served without asking the database again after a check said it
   * was current (default 1000; 0: every request checks). A request with `Cache-Control: no-cache`
   * or `max-age=0` always checks.
   */
  TRAFFIC_API_CACHE_FRESH_MS: envVar(z.coerce.number().int().min(0).max(10_000).default(1000)),
}).and(keySchema);

export type Config = z.infer<typeof schema>;

/** Parses the environment; the error names every missing or invalid variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseEnv("traffic-api", schema, env);
}

/** The API key sent to PostgREST: a publishable key when the project has one, else the anon key. */
export function clientKeyOf(config: Config): string {
  return config.SUPABASE_PUBLISHABLE_KEYS?.[0] ?? config.SUPABASE_PUBLISHABLE_KEY ??
    config.SUPABASE_ANON_KEY!;
}
