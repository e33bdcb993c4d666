/** aggregate-metrics' environment, parsed once with zod. */
import { isTimeZone } from "../_shared/dates.ts";
import { z } from "../_shared/deps.ts";
import { DEFAULT_EXCHANGE_RATES_URL } from "../_shared/exchange-rates/mod.ts";

const schema = z.object({
  SUPABASE_URL: z.url({ message: "SUPABASE_URL must be set to the project URL" }),
  SUPABASE_SERVICE_ROLE_KEY: z.string().min(1, "SUPABASE_SERVICE_ROLE_KEY must be set"),
  /** The National Bank of Kazakhstan's daily rates feed (tests point it at a fake). */
  EXCHANGE_RATES_URL: z.url({ message: "EXCHANGE_RATES_URL must be a URL" })
    .default(DEFAULT_EXCHANGE_RATES_URL),
  /** Whose calendar days the periods are (IANA name). */
  TRAFFIC_TIMEZONE: z.string().default("Asia/Almaty")
    .refine(isTimeZone, { message: "TRAFFIC_TIMEZONE must be an IANA time zone" }),
  /**
   * Whether a body may name a `today` other than the real one (a what-if). Off by default: such a
   * run would replace the dashboard's live rows with another day's numbers. Test stacks turn it
   * on to aggregate fixture days.
   */
  AGGREGATE_METRICS_ALLOW_WHAT_IF: z.enum(["true", "false", "1", "0", ""]).default("false")
    .transform((v) => v === "true" || v === "1"),
});

export type Config = z.infer<typeof schema>;

/** Parses the environment; the error names every missing or invalid variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`aggregate-metrics configuration is invalid: ${issues.join("; ")}`);
  }
  return parsed.data;
}
