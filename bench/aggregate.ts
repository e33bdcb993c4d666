/**
 * Benchmark of the aggregation run (`traffic_aggregate_metrics()`: attribution + today / 7d / 30d
 * upsert) on small data and at a year's volume (2,000,000 ad-day rows over 40 days = 50,000
 * distinct ads, 300,000 leads, 30,000 sales) for 1,000 and 10,000 targetologists, against a
 * same-run baseline: a plain `select user_id, sum(spend) … group by user_id` over the same raw
 * rows. A full run (every targetologist: forced with a full mark in
 * `private.traffic_aggregate_dirty`, as a new local day or a rate change makes it), an incremental
 * run with nothing changed, and an incremental run after one hour of new data (work proportional
 * to what changed); also the webhook's per-lead attribution (`private.amocrm_attribute_leads`).
 *
 * Run with `npm run bench` (scripts/bench.sh starts a stack of its own). Prints markdown tables
 * and writes `bench-results/aggregate.json`.
 */
import { postgres } from "../scripts/lib/deps.ts";
import { clearData, generate, type Scale } from "./lib/aggregate-data.ts";
import { median, time } from "./lib/load.ts";

const dbUrl = Deno.env.get("SUPABASE_DB_URL");
if (!dbUrl) throw new Error("SUPABASE_DB_URL is not set: run through `npm run bench`");
const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
const volume = {
  rawRows: Number(Deno.env.get("BENCH_RAW_ROWS") ?? 2_000_000),
  leads: Number(Deno.env.get("BENCH_LEADS") ?? 300_000),
  sales: Number(Deno.env.get("BENCH_SALES") ?? 30_000),
  // 40 days: 50 ads per targetologist at 1,000 (5 at 10,000), 50,000 distinct ads either way.
  days: 40,
};
const scales: (Scale & { label: string })[] = [
  { label: "small", users: 1_000, rawRows: 40_000, leads: 3_000, sales: 300, days: 40 },
  { label: "volume", users: 1_000, ...volume },
  { label: "volume", users: 10_000, ...volume },
];

const ms = (x: number) => `${Math.round(x)}`;

interface Result {
  scale: Scale & { label: string };
  ads: number;
  hourMs: number;
  hourLeads: number;
  hourSales: number;
  attributeLeadMs: number;
  rawRows: number;
  rowsWritten: number;
  rowsChanged: number;
  hourChanged: number;
  hourComputed: number;
  hourUsers: number;
  hourAttributionMs: number;
  steadyMs: number;
  steadyComputed: number;
  generateMs: number;
  firstMs: number;
  runMs: number;
  baselineMs: number;
  attributionMs: number;
  range30Ms: number;
  resyncMs: number;
  resyncNoTriggersMs: number;
}

async function measure(scale: Scale & { label: string }): Promise<Result> {
  await clearData(sql);
  const generateMs = await time(() => generate(sql, scale));
  const [{ n: rawRows }] = await sql`select count(*)::int as n from traffic_facebook_ads_raw`;
  const [{ n: ads }] = await sql`select count(distinct ad_id)::int as n
    from private.traffic_ad_directory`;
  const aggregate = () => sql`select public.traffic_aggregate_metrics() as r`;
  // A full run, as a new local day or a rate revision makes it (the mark and the run commit
  // separately, as a rate upsert and the run do).
  const fullRun = async () => {
    await sql`insert into private.traffic_aggregate_dirty (full_run) values (true)`;
    return await aggregate();
  };
  // The first run attributes every lead and sale (writes them); later runs find nothing changed.
  const firstMs = await time(aggregate);
  const runs: number[] = [];
  let rowsWritten = 0;
  let rowsChanged = 0;
  for (let i = 0; i < 3; i++) {
    runs.push(
      await time(async () => {
        const [{ r }] = await fullRun();
        if (r.mode !== "full") throw new Error(`expected a full run: ${JSON.stringify(r)}`);
        rowsWritten = r.rows_written;
        rowsChanged = r.rows_changed;
      }),
    );
  }
  // Incremental runs with nothing new since the last run.
  const steady: number[] = [];
  let steadyComputed = 0;
  for (let i = 0; i < 3; i++) {
    steady.push(
      await time(async () => {
        const [{ r }] = await aggregate();
        steadyComputed = r.rows_written;
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
  // The webhook's attribution of one lead (the same rule function the aggregation uses), at this
  // volume: median of 50 distinct leads, each its own statement.
  const leadIds = await sql`select amocrm_lead_id as id from public.traffic_leads
    order by random() limit 50`;
  const perLead: number[] = [];
  for (const { id } of leadIds) {
    perLead.push(await time(() => sql`select private.amocrm_attribute_leads(${[id]}::bigint[])`));
  }
  // One hour of new data (a year's rate: 300,000 leads / 40 days / 24 h ≈ 310 leads, 31 sales, and
  // new ads for 1 targetologist in 100), then one run: its attribution looks at what changed only.
  const hourLeads = Math.max(1, Math.round(scale.leads / scale.days / 24));
  const hourSales = Math.max(1, Math.round(scale.sales / scale.days / 24));
  await sql.unsafe(`
    insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id, campaign_id,
      adset_id, ad_id, stat_date, spend, account_currency)
    select s.user_id, s.team_name, 'act_new', 'c_new_' || n, 'as_new_' || n, 'ad_new_' || n,
      (now() at time zone 'Asia/Almaty')::date, 1, 'USD'
    from (select user_id, team_name, row_number() over (order by user_id) as n
          from public.traffic_targetologist_settings) as s
    where s.n % 100 = 0;
    insert into public.traffic_leads (amocrm_lead_id, product, utm_source, utm_content, created_at)
    select 900000000 + k, 'express', 'facebook', 'ad_new_' || (100 * (1 + k % 5)), now()
    from generate_series(1, ${hourLeads}) as k;
    insert into public.traffic_sales (amocrm_lead_id, product, sale_type, sale_amount, sold_at,
      status, utm_source, utm_content)
    select 900000000 + k, 'express', 'full', 10000, now(), 'active', 'facebook',
      'ad_new_' || (100 * (1 + k % 5))
    from generate_series(1, ${hourSales}) as k;
  `);
  let hourChanged = 0;
  let hourComputed = 0;
  let hourUsers = 0;
  // The hour's attribution on its own (the run would do it first), so the run's own share shows.
  const hourAttributionMs = await time(() => sql`select public.traffic_resolve_attribution()`);
  const hourMs = await time(async () => {
    const [{ r }] = await aggregate();
    if (r.mode !== "incremental") throw new Error(`expected incremental: ${JSON.stringify(r)}`);
    hourChanged = r.rows_changed;
    hourComputed = r.rows_written;
    hourUsers = r.users_recomputed;
  });
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
    ads,
    hourMs,
    hourLeads,
    hourSales,
    attributeLeadMs: median(perLead),
    rawRows,
    rowsWritten,
    rowsChanged,
    hourChanged,
    hourComputed,
    hourUsers,
    hourAttributionMs,
    steadyMs: median(steady),
    steadyComputed,
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
    console.error(
      `[bench] ${scale.label}, ${scale.users} targetologists: generating and measuring…`,
    );
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
  "| data | targetologists | distinct ads | raw ad-day rows | leads | sales | rows computed / rewritten by a full run | " +
    "first run (ms) | full run, median of 3 (ms) | baseline scan (ms) | full run / baseline | " +
    "incremental run, nothing new, median of 3 (ms, rows computed) | " +
    "after 1 h of new data: its attribution (ms), then the incremental run " +
    "(ms; teams, rows computed, rows rewritten) |",
);
console.log(
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
);
for (const r of results) {
  console.log(
    `| ${r.scale.label} | ${r.scale.users.toLocaleString("en")} | ` +
      `${r.ads.toLocaleString("en")} | ${r.rawRows.toLocaleString("en")} | ` +
      `${r.scale.leads.toLocaleString("en")} | ${r.scale.sales.toLocaleString("en")} | ` +
      `${r.rowsWritten} / ${r.rowsChanged} | ${ms(r.firstMs)} | ${ms(r.runMs)} | ${
        ms(r.baselineMs)
      } | ` +
      `${(r.runMs / r.baselineMs).toFixed(2)}x | ${ms(r.steadyMs)} (${r.steadyComputed}) | ` +
      `${ms(r.hourAttributionMs)}, then ${ms(r.hourMs)} ` +
      `(${r.hourUsers}, ${r.hourComputed}, ${r.hourChanged}) |`,
  );
}
console.log(
  "\n| data | targetologists | attribution, steady (ms) | one 30-day range (ms) | " +
    "webhook attribution of one lead, median of 50 (ms) | " +
    "re-sync of today's ad rows, with / without the triggers (ms) | data generation (s) |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of results) {
  console.log(
    `| ${r.scale.label} | ${r.scale.users.toLocaleString("en")} | ${ms(r.attributionMs)} | ` +
      `${ms(r.range30Ms)} | ${r.attributeLeadMs.toFixed(2)} | ` +
      `${ms(r.resyncMs)} / ${ms(r.resyncNoTriggersMs)} | ` +
      `${(r.generateMs / 1000).toFixed(0)} |`,
  );
}
const [small, v1k, v10k] = results;
if (small && v1k) {
  console.log(
    `\nAt volume vs small data (1,000 targetologists): full run ${
      (v1k.runMs / small.runMs).toFixed(2)
    }x, ` +
      `webhook attribution of a lead ${(v1k.attributeLeadMs / small.attributeLeadMs).toFixed(2)}x.`,
  );
}
if (v1k && v10k) {
  console.log(
    `10x the targetologists (same rows): full run ${(v10k.runMs / v1k.runMs).toFixed(2)}x, ` +
      `baseline ${(v10k.baselineMs / v1k.baselineMs).toFixed(2)}x.`,
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
        data: r.scale.label,
        targetologists: r.scale.users,
        distinct_ads: r.ads,
        one_hour_attribution_ms: Math.round(r.hourAttributionMs),
        run_after_one_hour_ms: Math.round(r.hourMs),
        run_after_one_hour_users_recomputed: r.hourUsers,
        run_after_one_hour_rows_computed: r.hourComputed,
        incremental_nothing_new_ms: Math.round(r.steadyMs),
        one_hour_leads: r.hourLeads,
        one_hour_sales: r.hourSales,
        webhook_attribute_lead_ms: +r.attributeLeadMs.toFixed(3),
        raw_rows: r.rawRows,
        leads: r.scale.leads,
        sales: r.scale.sales,
        rows_written: r.rowsWritten,
        rows_changed_steady: r.rowsChanged,
        rows_changed_after_one_hour: r.hourChanged,
        first_run_ms: Math.round(r.firstMs),
        full_run_median_ms: Math.round(r.runMs),
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
