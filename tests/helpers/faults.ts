/**
 * Fault injection on the running local stack, through the stack's own scripts
 * (scripts/stack/part.sh): kill a part as a crash would (SIGKILL), start it again, and wait for
 * it to answer. The stack to act on is the one in STACK_DIR / STACK_PORT (scripts/test.sh exports
 * both for its own stack), so a developer's stack is never touched by a test run.
 *
 * @module
 */
import { stackEnv } from "./stack.ts";

/** A part of the stack part.sh can stop, kill and start. */
export type Part = "gateway" | "postgrest" | "postgres";

const ROOT = new URL("../../", import.meta.url);

/** Runs `bash scripts/stack/part.sh <part> <action>`; throws with its output when it fails. */
export async function stackPart(part: Part, action: "stop" | "kill" | "start"): Promise<void> {
  const { code, stdout, stderr } = await new Deno.Command("bash", {
    args: ["scripts/stack/part.sh", part, action],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    const dec = new TextDecoder();
    throw new Error(
      `part.sh ${part} ${action} exited ${code}: ${dec.decode(stdout)}${dec.decode(stderr)}`,
    );
  }
}

export const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** Kills a part (SIGKILL), keeps it down for `downMs`, starts it again. Returns when it answers. */
export async function crash(part: Part, downMs: number): Promise<{ downMs: number }> {
  const t0 = performance.now();
  await stackPart(part, "kill");
  await sleep(downMs);
  await stackPart(part, "start");
  return { downMs: Math.round(performance.now() - t0) };
}

/**
 * Waits until the REST API answers through the gateway again (PostgREST reconnects to a restarted
 * Postgres on its own schedule). Throws after `timeoutMs`.
 */
export async function waitForRest(timeoutMs = 30_000): Promise<number> {
  const env = stackEnv();
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    try {
      const res = await fetch(`${env.SUPABASE_URL}/rest/v1/traffic_amocrm_pipelines?limit=1`, {
        headers: { apikey: env.SUPABASE_SERVICE_ROLE_KEY },
        signal: AbortSignal.timeout(2_000),
      });
      await res.body?.cancel();
      if (res.status === 200) return Math.round(performance.now() - t0);
    } catch {
      // not yet
    }
    await sleep(200);
  }
  throw new Error(`the REST API did not answer within ${timeoutMs} ms`);
}

/** One request of a load and what came back (`status` 0: no HTTP answer at all). */
export interface Answer {
  body: string;
  status: number;
  error?: string;
  atMs: number;
}

/**
 * Sends `next()` bodies with `concurrency` workers until `stop()` says so (checked before each
 * request), recording every answer. A worker whose request was not answered 2xx waits
 * `backoffMs` before its next one, as a sender that retries later would.
 */
export async function load(
  send: (body: string) => Promise<Response>,
  next: () => string,
  opts: { concurrency: number; stop: () => boolean; backoffMs?: number },
): Promise<Answer[]> {
  const answers: Answer[] = [];
  const t0 = performance.now();
  const worker = async () => {
    while (!opts.stop()) {
      const body = next();
      try {
        const res = await send(body);
        await res.body?.cancel();
        answers.push({ body, status: res.status, atMs: Math.round(performance.now() - t0) });
        if (res.status >= 300 && opts.backoffMs) await sleep(opts.backoffMs);
      } catch (err) {
        answers.push({
          body,
          status: 0,
          error: String(err),
          atMs: Math.round(performance.now() - t0),
        });
        if (opts.backoffMs) await sleep(opts.backoffMs);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return answers;
}

/** Maps `items` through `fn` with at most `concurrency` calls in flight, keeping the order. */
export async function pool<T, R>(
  items: T[],
  concurrency: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}
