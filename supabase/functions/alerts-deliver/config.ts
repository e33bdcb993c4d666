/**
 * alerts-deliver's environment, parsed once with zod (`_shared/env.ts`: blank means unset). The
 * destinations (and their secrets) are not configuration: they live in
 * `traffic_alert_destinations` and are read per message.
 *
 * @module
 */
import { serviceKeySchema } from "../_shared/auth.ts";
import { z } from "../_shared/deps.ts";
import { commonEnv, envInt as int, parseEnv } from "../_shared/env.ts";

const schema = z.object({
  SUPABASE_URL: commonEnv.SUPABASE_URL,
  /** How long one delivery may take (ms) before it counts as failed and is retried. */
  ALERTS_DELIVER_TIMEOUT_MS: int(1_000, 60_000, 10_000),
  /** Messages sent at once. */
  ALERTS_DELIVER_CONCURRENCY: int(1, 20, 4),
  /** Wall-clock budget of one invocation (ms): below the Edge Functions' 150 s idle timeout. */
  ALERTS_DELIVER_BUDGET_MS: int(1_000, 140_000, 100_000),
  /** Attempts before a message that keeps failing (network, 429, 5xx) is given up. */
  ALERTS_MAX_ATTEMPTS: int(1, 50, 10),
}).and(serviceKeySchema); // a secret key or the legacy service_role key: _shared/auth.ts

export type Config = z.infer<typeof schema>;

/** Parses the environment; the error names every missing or invalid variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseEnv("alerts-deliver", schema, env);
}
