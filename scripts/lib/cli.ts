/**
 * Small command-line conventions every script shares: `--help` prints the usage and exits 0, a
 * problem the user can fix is one line on stderr (no stack trace) and exit code 2.
 *
 * @module
 */

/** Prints `usage` and exits 0 when `--help` or `-h` is among `args`. */
export function helpIfAsked(usage: string, args: readonly string[] = Deno.args): void {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(usage.trimEnd());
    Deno.exit(0);
  }
}

/** One line on stderr, exit `code` (2: the user can fix it). */
export function fail(message: string, code = 2): never {
  console.error(`error: ${message}`);
  Deno.exit(code);
}

/** A readable reason for a failed connection to Postgres or an HTTP endpoint. */
export function connectionHint(err: unknown, what: string): string | null {
  const e = err as { code?: string; message?: string; name?: string };
  const text = `${e?.code ?? ""} ${e?.name ?? ""} ${e?.message ?? ""}`;
  if (/ECONNREFUSED|ConnectionRefused|Connection refused|connect ECONN|os error 111/i.test(text)) {
    return `cannot reach ${what}: is the local stack running? (npm run stack:start) ` +
      `— or point the environment at a project`;
  }
  return null;
}
