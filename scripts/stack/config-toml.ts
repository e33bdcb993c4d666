/**
 * What the local stack reads from `supabase/config.toml`.
 *
 * @module
 */
import { parseToml } from "./deps.ts";

/**
 * `[functions.<name>] verify_jwt = true|false` from config.toml, read with a TOML parser (default
 * true, as Supabase: a function with no section, or a section without the key, needs a JWT).
 */
export function readVerifyJwt(toml: string): Record<string, boolean> {
  const functions = (parseToml(toml) as { functions?: Record<string, unknown> }).functions ?? {};
  const out: Record<string, boolean> = {};
  for (const [name, section] of Object.entries(functions)) {
    const value = (section as { verify_jwt?: unknown } | null)?.verify_jwt;
    if (value !== undefined && typeof value !== "boolean") {
      throw new Error(`config.toml: functions.${name}.verify_jwt must be true or false`);
    }
    out[name] = value ?? true;
  }
  return out;
}
