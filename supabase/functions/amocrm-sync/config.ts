/**
 * amocrm-sync's environment, parsed once with zod. The token has no default; an invalid value
 * fails at cold start with a message naming the variable (never its value).
 *
 * @module
 */
import { serviceKeySchema } from "../_shared/auth.ts";
import { z } from "../_shared/deps.ts";
import { commonEnv, envInt as int, envVar, optionalText, parseEnv } from "../_shared/env.ts";

const schema = z.object({
  SUPABASE_URL: commonEnv.SUPABASE_URL,
  /** The long-lived token of the private integration (Bearer). Unset: runs answer 503. */
  AMOCRM_ACCESS_TOKEN: envVar(z.string().max(10_000).optional()),
  /** `<subdomain>` of `<subdomain>.amocrm.ru`; also the bookkeeping key of the account. */
  AMOCRM_SUBDOMAIN: optionalText.pipe(
    z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "must be an AmoCRM subdomain").optional(),
  ),
  /** Base URL of the API; default https://<AMOCRM_SUBDOMAIN>.amocrm.ru (tests: a loopback fake). */
  AMOCRM_API_URL: envVar(z.url({ message: "must be a URL" }).optional()),
  /** Wall-clock budget of one run (ms): below the Edge Functions' 150 s request idle timeout. */
  AMOCRM_SYNC_BUDGET_MS: int(1_000, 140_000, 110_000),
  /** Re-read this much before the watermarks (s): late writes and clock skew. */
  AMOCRM_SYNC_OVERLAP_S: int(0, 3_600, 300),
  /** How far back the first run reads (days). */
  AMOCRM_SYNC_INITIAL_DAYS: int(1, 365, 30),
  /** Requests per second (AmoCRM allows 7 per account). */
  AMOCRM_MAX_RPS: int(1, 7, 7),
  /** First backoff after a 429 / 5xx (ms, doubles), and the wait after a 403 block. */
  AMOCRM_BACKOFF_MS: int(10, 60_000, 1_000),
  AMOCRM_BLOCK_WAIT_MS: int(10, 120_000, 30_000),
  /** Warn this many days before the token expires. */
  AMOCRM_TOKEN_WARN_DAYS: int(1, 365, 30),
}).and(serviceKeySchema); // a secret key or the legacy service_role key: _shared/auth.ts

export type Config = z.infer<typeof schema> & { apiUrl: string | null; account: string };

/** Parses the environment; the error names every missing or invalid variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const c = parseEnv("amocrm-sync", schema, env);
  const apiUrl = c.AMOCRM_API_URL ??
    (c.AMOCRM_SUBDOMAIN ? `https://${c.AMOCRM_SUBDOMAIN}.amocrm.ru` : null);
  let account = c.AMOCRM_SUBDOMAIN ?? "";
  if (!account && apiUrl) {
    account = new URL(apiUrl).hostname.split(".")[0].toLowerCase().replace(/[^a-z0-9-]/g, "-");
  }
  if (!/^[a-z0-9]/.test(account)) account = `x${account}`;
  return { ...c, apiUrl, account: account.slice(0, 63) };
}
