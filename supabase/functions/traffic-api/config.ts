/** traffic-api's environment, parsed once with zod. */
import { isTimeZone } from "../_shared/dates.ts";
import { z } from "../_shared/deps.ts";
import { invalidOrigins } from "./cors.ts";

const schema = z.object({
  SUPABASE_URL: z.url({ message: "SUPABASE_URL must be set to the project URL" }),
  SUPABASE_ANON_KEY: z.string().min(1, "SUPABASE_ANON_KEY must be set"),
  /** IANA time zone whose calendar days the periods and date ranges are counted in. */
  TRAFFIC_TIMEZONE: z.string().default("Asia/Almaty").refine(isTimeZone, {
    message: "TRAFFIC_TIMEZONE must be an IANA time zone such as Asia/Almaty",
  }),
  /**
   * Comma-separated origins allowed by CORS (`https://dash.example`); `*` allows any. Default
   * none: only same-origin pages (the gateway's `/dashboard/`) read the API from a browser.
   */
  CORS_ALLOWED_ORIGINS: z.string().default("").refine((v) => invalidOrigins(v).length === 0, {
    message:
      "CORS_ALLOWED_ORIGINS must be *, or origins like https://dash.example, comma-separated",
  }),
});

export type Config = z.infer<typeof schema>;

/** Parses the environment; the error names every missing or invalid variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`traffic-api configuration is invalid: ${issues.join("; ")}`);
  }
  return parsed.data;
}
