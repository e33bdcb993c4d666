/**
 * Load from `wrk` (Debian; `npm run bench` installs it): closed-loop, `connections` connections,
 * one per wrk thread, so every thread's answers come back in its requests' order and the Lua
 * script (bench/lua/load.lua) can tell which bodies were answered 2xx. A short warm-up run is
 * discarded first. Figures as in load.ts (`LoadResult`, milliseconds); `errors` counts non-2xx
 * answers, socket errors and timeouts.
 *
 * @module
 */
import type { LoadResult } from "./load.ts";

export interface WrkOptions {
  name: string;
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  connections: number;
  seconds: number;
  warmupSeconds?: number;
  /** A body template with __ID__ / __AD__ / __TS__ placeholders (see load.lua); POST only. */
  template?: string;
  /** Ad ids for __AD__. */
  adIds?: string[];
  /** Each run's ids must differ (the template's __ID__ = base + thread * 10^7 + n). */
  idBase?: number;
  /** Collect the __ID__s answered 2xx (for the "every 2xx is stored" check). */
  collectOk?: boolean;
  /**
   * The Lua script sees no answer (load.lua's "status" mode): wrk copies no body into Lua (~165 µs
   * of its CPU per 146 kB answer, on the cores the measured stack shares) and `non2xx` counts the
   * answers above 399 (wrk's own count). For requests without validators to routes that never
   * redirect; not with `collectOk`.
   */
  statusOnly?: boolean;
}

export interface WrkResult extends LoadResult {
  /** The __ID__s answered 2xx (collectOk only). */
  okIds: number[];
  non2xx: number;
  /** Requests of the discarded warm-up run before it. */
  warmupRequests: number;
}

const LUA = new URL("../lua/load.lua", import.meta.url).pathname;

interface WrkLine {
  requests: number;
  duration_us: number;
  non2xx: number;
  socket_errors: number;
  timeouts: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

async function wrk(opts: WrkOptions, seconds: number, dir: string, base: number): Promise<WrkLine> {
  const args = [
    "-t",
    String(opts.connections),
    "-c",
    String(opts.connections),
    "-d",
    `${seconds}s`,
    "--timeout",
    "10s",
    "-s",
    LUA,
  ];
  for (const [k, v] of Object.entries(opts.headers ?? {})) args.push("-H", `${k}: ${v}`);
  args.push(opts.url, "--");
  args.push(opts.template ? `${dir}/template.txt` : "");
  args.push(opts.adIds?.length ? `${dir}/ads.txt` : "");
  args.push(opts.collectOk ? dir : "");
  args.push(String(base));
  args.push(opts.method ?? "GET");
  args.push(opts.statusOnly ? "status" : "");
  const out = await new Deno.Command("wrk", { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  const line = text.split("\n").find((l) => l.startsWith("WRK "));
  if (!out.success || !line) {
    throw new Error(`wrk failed: ${text}\n${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(line.slice(4));
}

/** Runs a warm-up, then the measured run. */
export async function runWrk(opts: WrkOptions): Promise<WrkResult> {
  const dir = await Deno.makeTempDir({ prefix: "bench-wrk-" });
  try {
    if (opts.template) await Deno.writeTextFile(`${dir}/template.txt`, opts.template);
    if (opts.adIds?.length) await Deno.writeTextFile(`${dir}/ads.txt`, opts.adIds.join("\n"));
    const base = opts.idBase ?? 0;
    // Warm-up ids sit in their own range (thread ids 1..c use base + 10^7 .. base + c*10^7).
    const warm = await wrk(opts, opts.warmupSeconds ?? 2, dir, base + 500_000_000);
    const okIds: number[] = [];
    if (opts.collectOk) {
      for await (const e of Deno.readDir(dir)) {
        if (e.name.startsWith("ok-")) await Deno.remove(`${dir}/${e.name}`);
      }
    }
    const w = await wrk(opts, opts.seconds, dir, base);
    if (opts.collectOk) {
      for await (const e of Deno.readDir(dir)) {
        if (!e.name.startsWith("ok-")) continue;
        for (const l of (await Deno.readTextFile(`${dir}/${e.name}`)).split("\n")) {
          if (l) okIds.push(Number(l));
        }
      }
    }
    const secs = w.duration_us / 1e6;
    const ms = (us: number) => Math.round(us / 100) / 10;
    return {
      name: opts.name,
      requests: w.requests,
      errors: w.non2xx + w.socket_errors + w.timeouts,
      non2xx: w.non2xx,
      seconds: Math.round(secs * 10) / 10,
      rps: Math.round((w.requests / secs) * 10) / 10,
      p50: ms(w.p50),
      p90: ms(w.p90),
      p99: ms(w.p99),
      max: ms(w.max),
      okIds,
      warmupRequests: warm.requests,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** `x / y` to two places. */
export const ratio = (x: number, y: number) => Math.round((x / y) * 100) / 100;
