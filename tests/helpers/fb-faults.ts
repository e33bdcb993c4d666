/**
 * Faults for fb-ads-sync's crash tests, on the running local stack: kill Postgres (SIGKILL of
 * the postmaster and its backends, as a crash would) and start it again with the stack's own
 * script (scripts/stack/part.sh), wait until PostgREST answers again, and read `npm run status`.
 * (tests/helpers/faults.ts does the same for the webhook faults; the two may be unified.)
 *
 * @module
 */
import { serviceClient } from "./stack.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed (${out.code}): ${text}`);
  return text;
}

/** `bash scripts/stack/part.sh <part> <action>` on this test run's stack (STACK_DIR/PORT). */
export function stackPart(
  part: "postgres" | "postgrest" | "gateway",
  action: "kill" | "start" | "stop",
): Promise<string> {
  return run("bash", [`${ROOT}scripts/stack/part.sh`, part, action]);
}

/**
 * Kills Postgres, calls `whileDown` once it is dead, keeps it down `downMs`, starts it again;
 * resolves once it is started.
 */
export async function crashPostgres(downMs: number, whileDown = () => {}): Promise<void> {
  await stackPart("postgres", "kill");
  whileDown();
  await new Promise((ok) => setTimeout(ok, downMs));
  await stackPart("postgres", "start");
}

/** Waits (≤ `ms`) until PostgREST reaches the database again. */
export async function waitForRest(ms = 30_000): Promise<void> {
  const db = serviceClient();
  const until = Date.now() + ms;
  for (;;) {
    const r = await db.from("traffic_sync_locks").select("lock_key").limit(1);
    if (!r.error) return;
    if (Date.now() > until) throw new Error(`PostgREST did not recover: ${r.error.message}`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

/** The output of `npm run status` (scripts/status.ts) against this stack. */
export function statusReport(): Promise<string> {
  return run(Deno.execPath(), ["run", "-A", `${ROOT}scripts/status.ts`]);
}
