/**
 * The environment, as every function reads it: the variables they share, one rule for blanks, and
 * one parser whose error names every missing or invalid variable (never a value). A function's
 * `config.ts` adds its own variables to {@link commonEnv} and calls {@link parseEnv}.
 *
 * The rule for blanks: a variable that is unset, empty or only white space is not configured, so
 * its default applies (e.g. `TRAFFIC_TIMEZONE=""` means Asia/Almaty, everywhere).
 *
 * @module
 */
import { DEFAULT_TIME_ZONE, isTimeZone } from "./dates.ts";
import { z } from "./deps.ts";

/** Unset, empty and blank are the same: undefined (so a default applies). */
export function blankToUndefined(v: unknown): unknown {
  return typeof v === "string" && v.trim() === "" ? undefined : v;
}

/** `schema` for an environment variable: a blank value counts as unset. */
export function envVar<S extends z.ZodType>(schema: S) {
  return z.preprocess(blankToUndefined, schema);
}

/** Optional text: unset or blank is undefined, anything else trimmed. */
export const optionalText = envVar(z.string().trim().optional());

/** A `{"name": "key", …}` dictionary as the platform injects keys; its values, in order. */
export const keyDictionary = envVar(z.string().trim().optional()).transform((s, ctx) => {
  if (!s) return undefined;
  try {
    return Object.values(z.record(z.string(), z.string().min(1)).parse(JSON.parse(s)));
  } catch {
    ctx.addIssue({ code: "custom", message: 'must be a JSON object like {"default":"sb_…"}' });
    return z.NEVER;
  }
});

/** A whole number in [min, max], `fallback` when unset or blank. */
export function envInt(min: number, max: number, fallback: number) {
  return envVar(z.coerce.number().int().min(min).max(max).default(fallback));
}

/** Variables every function reads. */
export const commonEnv = {
  SUPABASE_URL: z.url({ message: "SUPABASE_URL must be set to the project URL" }),
  /** Whose calendar days "today", the periods and the date ranges are (IANA name). */
  TRAFFIC_TIMEZONE: envVar(
    z.string().trim().default(DEFAULT_TIME_ZONE).refine(isTimeZone, {
      message: "TRAFFIC_TIMEZONE must be an IANA time zone such as Asia/Almaty",
    }),
  ),
};

/** Parses `env` with `schema`; throws naming `fn` and every invalid variable. */
export function parseEnv<S extends z.ZodType>(
  fn: string,
  schema: S,
  env: Record<string, string | undefined>,
): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`${fn} configuration is invalid: ${issues.join("; ")}`);
  }
  return parsed.data;
}
