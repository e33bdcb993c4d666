/**
 * The Supabase environment a script or test talks to: the process environment first (a real
 * project: SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY …), else the local stack's `.stack/env`
 * (or `$STACK_DIR/env`).
 *
 * @module
 */

export interface StackEnv {
  SUPABASE_URL: string;
  SUPABASE_ANON_KEY: string;
  SUPABASE_SERVICE_ROLE_KEY: string;
  /** The new-generation keys (`sb_publishable_…`, `sb_secret_…`); the local stack mints both. */
  SUPABASE_PUBLISHABLE_KEY: string;
  SUPABASE_SECRET_KEY: string;
  SUPABASE_DB_URL: string;
  SUPABASE_JWT_SECRET: string;
}

/** Reads a dotenv file of `KEY=value` lines; a missing file reads as empty. */
export function readDotenv(path: string | URL): Record<string, string> {
  const out: Record<string, string> = {};
  try {
    for (const line of Deno.readTextFileSync(path).split("\n")) {
      const m = line.match(/^([A-Z_][A-Z0-9_]*)=(.*)$/);
      if (m) out[m[1]] = m[2];
    }
  } catch {
    // no file: the process environment must provide the values
  }
  return out;
}

/** The stack's env file: `$STACK_DIR/env`, else `.stack/env` at the project root. */
export function stackEnvFile(): string | URL {
  const dir = Deno.env.get("STACK_DIR");
  return dir ? `${dir}/env` : new URL("../../.stack/env", import.meta.url);
}

/**
 * Loads the environment; `required` names the variables the caller needs, and a missing one is
 * reported with a hint to start the local stack. A variable set in the process environment wins,
 * even when empty (an empty value means "not this one", e.g. `SUPABASE_SECRET_KEY=` to use the
 * legacy key of a stack that has both).
 */
export function loadStackEnv<K extends keyof StackEnv>(required: readonly K[]): Pick<StackEnv, K> {
  const file = readDotenv(stackEnvFile());
  const out: Partial<StackEnv> = {};
  const missing: string[] = [];
  for (const k of required) {
    const v = Deno.env.get(k) ?? file[k];
    if (v) out[k] = v;
    else missing.push(k);
  }
  if (missing.length > 0) {
    throw new Error(
      `${missing.join(", ")} not set: start the local stack (npm run stack:start) ` +
        `or export them for a real project`,
    );
  }
  return out as Pick<StackEnv, K>;
}

/**
 * The service key a script uses: a secret key (`SUPABASE_SECRET_KEY`) when one is set, else the
 * legacy `SUPABASE_SERVICE_ROLE_KEY`; from the process environment first, then the local stack's
 * env file. An empty variable in the environment skips that kind.
 */
export function serviceKeyFromEnv(): { key: string; kind: "secret" | "legacy" } {
  const file = readDotenv(stackEnvFile());
  const pick = (k: string) => Deno.env.get(k) ?? file[k] ?? "";
  const secret = pick("SUPABASE_SECRET_KEY");
  if (secret) return { key: secret, kind: "secret" };
  const legacy = pick("SUPABASE_SERVICE_ROLE_KEY");
  if (legacy) return { key: legacy, kind: "legacy" };
  throw new Error(
    "no service key: set SUPABASE_SECRET_KEY (sb_secret_…) or SUPABASE_SERVICE_ROLE_KEY, " +
      "or start the local stack (npm run stack:start)",
  );
}
