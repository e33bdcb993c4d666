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

const cache = new Map<string, string>();

/** A fixture's raw body: header lines (`#`) dropped, pairs joined with `&`. */
export function fixture(name: typeof FIXTURES[number]): string {
  let body = cache.get(name);
  if (body === undefined) {
    const url = new URL(`../../fixtures/amocrm/${name}.txt`, import.meta.url);
    body = Deno.readTextFileSync(url)
      .split("\n")
      .filter((line) => line.trim() !== "" && !line.startsWith("#"))
      .join("&");
    cache.set(name, body);
  }
  return body;
}
