/**
 * Runs one function's real `index.ts` as the Supabase Edge Runtime would: the module calls
 * `Deno.serve(handler)`, and this wrapper binds that call to the loopback port the gateway uses.
 * It also provides `EdgeRuntime.waitUntil`, a global of the hosted runtime.
 *
 * The port is chosen by the OS (port 0) and written to `<run dir>/fn-<name>.port`, where the
 * gateway and the start script read it: a fixed port could already be taken by one of the stack's
 * own outbound connections (ports above 32767 are the kernel's ephemeral range).
 *
 * Usage: deno run -A scripts/stack/serve-function.ts <name> <run dir> [functions dir]
 * (the functions dir defaults to supabase/functions; the bench passes bench/functions).
 */
const [name, runDir, functionsDir] = Deno.args;
const realServe = Deno.serve;

type AnyHandler = (req: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>;

// deno-lint-ignore no-explicit-any
(Deno as any).serve = (...args: unknown[]) => {
  let handler: AnyHandler | undefined;
  for (const a of args) {
    if (typeof a === "function") handler = a as AnyHandler;
    else if (
      a && typeof a === "object" && typeof (a as { handler?: unknown }).handler === "function"
    ) {
      handler = (a as { handler: AnyHandler }).handler;
    }
  }
  if (!handler) throw new Error(`${name}: Deno.serve was called without a handler`);
  return realServe({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => {
      // Written atomically (rename), so a reader never sees a half-written port.
      const file = `${runDir}/fn-${name}.port`;
      Deno.writeTextFileSync(`${file}.tmp`, String(port));
      Deno.renameSync(`${file}.tmp`, file);
      console.log(`[function ${name}] listening on 127.0.0.1:${port}`);
    },
  }, handler);
};

const pending = new Set<Promise<unknown>>();
// deno-lint-ignore no-explicit-any
(globalThis as any).EdgeRuntime = {
  waitUntil(p: Promise<unknown>) {
    const tracked = Promise.resolve(p).catch((err) =>
      console.error(`[function ${name}] waitUntil task failed: ${err}`)
    ).finally(() => pending.delete(tracked));
    pending.add(tracked);
  },
};

const root = new URL("../../", import.meta.url);
const dir = functionsDir
  ? new URL(`${functionsDir.replace(/\/+$/, "")}/`, `file://${Deno.cwd()}/`)
  : new URL("supabase/functions/", root);
await import(new URL(`${name}/index.ts`, dir).href);
