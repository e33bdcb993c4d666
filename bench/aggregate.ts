/**
 * Benchmark of one full aggregation run (`traffic_aggregate_metrics()`: attribution + today / 7d /
 * 30d upsert) at 1,000 and 10,000 targetologists over the same volume of data (2,000,000 ad-day
 * rows, 300,000 leads, 30,000 sales), against a same-run baseline: a plain
 * `select user_id, sum(spend) … group by user_id` over the same raw rows.
 *
 * Run with `npm run bench` (scripts/bench.sh starts a stack of its own). Prints markdown tables
 * and writes `bench-results/aggregate.json`.
 */
import { postgres } from "../scripts/lib/deps.ts";
import { clearData, generate, type Scale } from "./lib/aggregate-data.ts";

const dbUrl = Deno.env.get("SUPABASE_DB_URL");
if (!dbUrl) throw new Error("SUPABASE_DB_URL is not set: run through `npm run bench`");
const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
const scales: Scale[] = [1_000, 10_000].map((users) => ({
  users,
  rawRows: Number(Deno.env.get("BENCH_RAW_ROWS") ?? 2_000_000),
  leads: Number(Deno.env.get("BENCH_LEADS") ?? 300_000),
  sales: Number(Deno.env.get("BENCH_SALES") ?? 30_000),
  days: 100,
}));

async function time(q: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await q();
  return performance.now() - t;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => `${Math.round(x)}`;

interface Result {
  scale: Scale;
  rawRows: number;
  rowsWritten: number;
  generateMs: number;
  firstMs: number;
  runMs: number;
  baselineMs: number;
  attributionMs: number;
  range30Ms: number;
  resyncMs: number;
  resyncNoTriggersMs: number;
}

async function measure(scale: Scale): Promise<Result> {
  await clearData(sql);
  const generateMs = await time(() => generate(sql, scale));
  const [{ n: rawRows }] = await sql`select count(*)::int as n from traffic_facebook_ads_raw`;
  const aggregate = () => sql`select public.traffic_aggregate_metrics() as r`;
  // The first run attributes every lead and sale (writes them); later runs find nothing changed.
  const firstMs = await time(aggregate);
  const runs: number[] = [];
  let rowsWritten = 0;
  for (let i = 0; i < 3; i++) {
    runs.push(
      await time(async () => {
        const [{ r }] = await aggregate();
        rowsWritten = r.rows_written;
      }),
    );
  }
  const baseline: number[] = [];
  const attribution: number[] = [];
  const range30: number[] = [];
  for (let i = 0; i < 3; i++) {
    baseline.push(
      await time(() =>
        sql`select user_id, sum(spend) from public.traffic_facebook_ads_raw group by user_id`
      ),
    );
    attribution.push(await time(() => sql`select public.traffic_resolve_attribution()`));
    range30.push(
      await time(() =>
        sql`select count(*) from public.traffic_metrics_for_range(
            (now() at time zone 'Asia/Almaty')::date - 29, (now() at time zone 'Asia/Almaty')::date)`
      ),
    );
  }
  // What the rollup and directory triggers cost fb-ads-sync: re-syncing today's ad rows with
  // them, and (replica mode: user triggers off) without them. Runs last: it leaves the rollup
  // out of step with the raw rows, and the data is cleared next.
  const resyncMs = await time(() =>
    sql`update public.traffic_facebook_ads_raw set spend = spend + 0.01, synced_at = now()
        where stat_date = (now() at time zone 'Asia/Almaty')::date`
  );
  const resyncNoTriggersMs = await time(() =>
    sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`update public.traffic_facebook_ads_raw set spend = spend - 0.01, synced_at = now()
               where stat_date = (now() at time zone 'Asia/Almaty')::date`;
    })
  );
  return {
    scale,
    rawRows,
    rowsWritten,
    generateMs,
    firstMs,
    runMs: median(runs),
    baselineMs: median(baseline),
    attributionMs: median(attribution),
    range30Ms: median(range30),
    resyncMs,
    resyncNoTriggersMs,
  };
}

const [{ version }] = await sql`select split_part(version(), ' ', 2) as version`;
await sql`update cron.job set active = false where jobname in ('aggregate-metrics', 'fb-ads-sync')`;
const results: Result[] = [];
try {
  for (const scale of scales) {
    console.error(`[bench] ${scale.users} targetologists: generating and measuring…`);
    results.push(await measure(scale));
  }
} finally {
  await clearData(sql).catch(() => {});
  await sql.end();
}

console.log(
  `\n### aggregate-metrics SQL run (PostgreSQL ${version}, ` +
    `${navigator.hardwareConcurrency} CPUs)\n`,
);
console.log(
  "| targetologists | raw ad-day rows | leads | sales | rows written | first run (ms) | " +
    "run, median of 3 (ms) | baseline scan (ms) | run / baseline |",
);
console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of results) {
  console.log(
    `| ${r.scale.users.toLocaleString("en")} | ${r.rawRows.toLocaleString("en")} | ` +
      `${r.scale.leads.toLocaleString("en")} | ${r.scale.sales.toLocaleString("en")} | ` +
      `${r.rowsWritten} | ${ms(r.firstMs)} | ${ms(r.runMs)} | ${ms(r.baselineMs)} | ` +
      `${(r.runMs / r.baselineMs).toFixed(1)}x |`,
  );
}
console.log(
  "\n| targetologists | attribution, steady (ms) | one 30-day range (ms) | " +
    "re-sync of today's ad rows, with / without the triggers (ms) | data generation (s) |",
);
console.log("| ---: | ---: | ---: | ---: | ---: |");
for (const r of results) {
  console.log(
    `| ${r.scale.users.toLocaleString("en")} | ${ms(r.attributionMs)} | ` +
      `${ms(r.range30Ms)} | ${ms(r.resyncMs)} / ${ms(r.resyncNoTriggersMs)} | ` +
      `${(r.generateMs / 1000).toFixed(0)} |`,
  );
}
if (results.length === 2) {
  const [a, b] = results;
  console.log(
    `\n10x the targetologists (same rows): run ${(b.runMs / a.runMs).toFixed(2)}x, ` +
      `baseline ${(b.baselineMs / a.baselineMs).toFixed(2)}x.`,
  );
}
await Deno.mkdir(new URL("../bench-results/", import.meta.url), { recursive: true });
await Deno.writeTextFile(
  new URL("../bench-results/aggregate.json", import.meta.url),
  JSON.stringify(
    {
      postgres: version,
      cpus: navigator.hardwareConcurrency,
      runs: results.map((r) => ({
        targetologists: r.scale.users,
        raw_rows: r.rawRows,
        leads: r.scale.leads,
        sales: r.scale.sales,
        rows_written: r.rowsWritten,
        first_run_ms: Math.round(r.firstMs),
        run_median_ms: Math.round(r.runMs),
        baseline_scan_ms: Math.round(r.baselineMs),
        run_vs_baseline: +(r.runMs / r.baselineMs).toFixed(2),
        attribution_ms: Math.round(r.attributionMs),
        range_30d_ms: Math.round(r.range30Ms),
        resync_today_ms: Math.round(r.resyncMs),
        resync_today_without_triggers_ms: Math.round(r.resyncNoTriggersMs),
      })),
    },
    null,
    2,
  ) + "\n",
);
// postgres.js leaves a handle open after end() under Deno; nothing is pending here.
Deno.exit(0);
