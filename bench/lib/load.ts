/**
 * A closed-loop load generator: `concurrency` workers each send one request after the other for
 * `seconds` (after a short warm-up), and the latency of every request is recorded client-side.
 *
 * @module
 */

/** What one run measured. Latencies in milliseconds. */
export interface LoadResult {
  name: string;
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface LoadOptions {
  name: string;
  concurrency: number;
  seconds: number;
  /** Warm-up before measuring (default 1 s): connections, JIT, caches. */
  warmupSeconds?: number;
  /** Sends request number `i`; resolves true when the answer was the expected one. */
  send: (i: number) => Promise<boolean>;
}

/** The q-quantile (0..1) of sorted values, nearest-rank. */
/** Wall-clock ms of one awaited call. */
export async function time(q: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await q();
  return performance.now() - t;
}

/** The middle value (upper middle for an even count). */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The median; of an even count, the mean of the middle two (not the better one). */
export function middleMedian(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/** Runs the load and returns its figures. */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  let next = 0;
  const loop = async (until: number, record: number[] | null, errors: { n: number }) => {
    while (performance.now() < until) {
      const i = next++;
      const t0 = performance.now();
      let ok = false;
      try {
        ok = await opts.send(i);
      } catch {
        ok = false;
      }
      const ms = performance.now() - t0;
      if (record) record.push(ms);
      if (!ok) errors.n++;
    }
  };
  const warmUntil = performance.now() + (opts.warmupSeconds ?? 1) * 1000;
  await Promise.all(
    Array.from({ length: opts.concurrency }, () => loop(warmUntil, null, { n: 0 })),
  );
  const latencies: number[] = [];
  const errors = { n: 0 };
  const started = performance.now();
  const until = started + opts.seconds * 1000;
  await Promise.all(
    Array.from({ length: opts.concurrency }, () => loop(until, latencies, errors)),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    name: opts.name,
    requests: latencies.length,
    errors: errors.n,
    seconds: round(elapsed),
    rps: round(latencies.length / elapsed),
    p50: round(quantile(latencies, 0.5)),
    p90: round(quantile(latencies, 0.9)),
    p99: round(quantile(latencies, 0.99)),
    max: round(latencies[latencies.length - 1] ?? NaN),
  };
}

/** Prints results as an aligned table. */
export function printTable(results: LoadResult[]): void {
  const cols: (keyof LoadResult)[] = [
    "name",
    "requests",
    "errors",
    "rps",
    "p50",
    "p90",
    "p99",
    "max",
  ];
  const rows = [cols.map(String), ...results.map((r) => cols.map((c) => String(r[c])))];
  const widths = cols.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((v, i) => v.padEnd(widths[i])).join("  "));
}
