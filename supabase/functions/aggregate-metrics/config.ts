/** aggregate-metrics' environment, parsed once with zod. */
import { serviceKeySchema } from "../_shared/auth.ts";
import { z } from "../_shared/deps.ts";
import { commonEnv, envVar, parseEnv } from "../_shared/env.ts";
import { DEFAULT_EXCHANGE_RATES_URL } from "../_shared/exchange-rates/mod.ts";

const schema = z.object({
  ...commonEnv, // SUPABASE_URL, TRAFFIC_TIMEZONE (whose calendar days the periods are)
  /** The National Bank of Kazakhstan's daily rates feed (tests point it at a fake). */
  EXCHANGE_RATES_URL: envVar(
    z.url({ message: "EXCHANGE_RATES_URL must be a URL" }).default(DEFAULT_EXCHANGE_RATES_URL),
  ),
  /**
   * Whether a body may name a `today` other than the real one (a what-if). Off by default: such a
   * run would replace the dashboard's live rows with another day's numbers. Test stacks turn it
   * on to aggregate fixture days.
   */
  AGGREGATE_METRICS_ALLOW_WHAT_IF: envVar(z.enum(["true", "false", "1", "0"]).default("false"))
    .transform((v) => v === "true" || v === "1"),
}).and(serviceKeySchema); // a secret key or the legacy service_role key: _shared/auth.ts

export type Config = z.infer<typeof schema>;

/** Parses the environment; the error names every missing or invalid variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseEnv("aggregate-metrics", schema, env);
}
