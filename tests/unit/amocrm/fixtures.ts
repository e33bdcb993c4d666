/**
 * Loads the raw AmoCRM webhook bodies in `tests/fixtures/amocrm/` (see its README).
 *
 * @module
 */

/** Names of every fixture body. */
export const FIXTURES = [
  "add",
  "update",
  "status",
  "status-minimal",
  "delete",
  "restore",
  "batch",
  "utm-empty",
  "cyrillic",
] as const;

/** A fixture's raw body: header lines (`#`) dropped, pairs joined with `&`. */
export function fixture(name: typeof FIXTURES[number]): string {
  const url = new URL(`../../fixtures/amocrm/${name}.txt`, import.meta.url);
  return Deno.readTextFileSync(url)
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .join("&");
}
