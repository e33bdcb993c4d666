/** amocrm-webhook's environment, parsed once with zod. */
import { serviceKeySchema } from "../_shared/auth.ts";
import { z } from "../_shared/deps.ts";
import { commonEnv, envInt, optionalText, parseEnv } from "../_shared/env.ts";

const positiveInt = (fallback: number, max: number) => envInt(1, max, fallback);

const schema = z.object({
  SUPABASE_URL: commonEnv.SUPABASE_URL,
  /**
   * The `secret` query parameter AmoCRM's webhook URL carries. Optional here so the function
   * still starts without it; the handler then refuses every webhook with a 500 and a log line.
   */
  AMOCRM_WEBHOOK_SECRET: optionalText,
  /** When set, `account[id]` of every body must equal it (403 otherwise). */
  AMOCRM_ACCOUNT_ID: optionalText.pipe(
    z.string().regex(/^[0-9]+$/, "AMOCRM_ACCOUNT_ID must be digits").optional(),
  ),
  /** When set, `account[subdomain]` must equal it, case-insensitively (403 otherwise). */
  AMOCRM_SUBDOMAIN: optionalText,
  /** Largest accepted body in bytes (413 above it). Default 1 MiB. */
  AMOCRM_MAX_BODY_BYTES: positiveInt(1_048_576, 64 * 1_048_576),
  /**
   * How long the one call that stores (and maybe processes) the body may take before the
   * function answers 503 (AmoCRM waits 2 s).
   */
  AMOCRM_STORE_TIMEOUT_MS: positiveInt(1_500, 1_800),
  /**
   * How long the background drain waits before it processes the bodies answered `pending`, so
   * that those arriving meanwhile go in the same batches (0: at once). Default 100 ms.
   */
  AMOCRM_DRAIN_DELAY_MS: envInt(0, 1_000, 100),
}).and(serviceKeySchema); // a secret key or the legacy service_role key: _shared/auth.ts

export type Config = z.infer<typeof schema>;

/** Parses the environment; the error names every missing or invalid variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseEnv("amocrm-webhook", schema, env);
}
