/**
 * Benchmark of one alert evaluation (`public.traffic_alerts_evaluate()`, what the pg_cron job
 * `traffic-alerts` runs every 5 minutes: every rule, the upsert of the alert records, the outbox)
 * on small data (1,000 teams, a week, 1,000 ads) and at a year's volume (1,000 teams, 50,000 ads,
 * 2,000,000 ad-day rows, 300,000 leads, 30,000 sales), side by side, against a same-run baseline
 * that does the least an evaluation must: one plain `sum(spend) group by user_id, ad_id` over the
 * ad-day rows of the window the spend rule reads (yesterday and today).
 *
 * Reported: the first run (opens every alert of the data set), steady runs (the same alerts,
 * refreshed; median of 5), and the baseline (median of 5). One run's destination: one enabled
 * webhook, so the first run also queues a message per alert.
 *
 * Run with `npm run bench -- alerts`. Prints a markdown table and writes bench-results/alerts.json.
 */
import { postgres } from "../scripts/lib/deps.ts";
import { clearData, generateYear, SMALL_DATA, YEAR_VOLUME } from "./lib/aggregate-data.ts";
import { median, time } from "./lib/load.ts";

const dbUrl = Deno.env.get("SUPABASE_DB_URL");
if (!dbUrl) throw new Error("SUPABASE_DB_URL is not set: run through `npm run bench`");
const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });

interface Result {
  label: string;
  rawRows: number;
  leads: number;
  firstMs: number;
  opened: number;
  queued: number;
  steadyMs: number;
  baselineMs: number;
  /** Each rule's SQL alone (median of 3), ms. */
  rules: Record<string, number>;
  /** Ad-day rows in the window the spend rule reads (yesterday and today). */
  windowRows: number;
  errors: unknown;
}

async function measure(label: string, scale: typeof SMALL_DATA): Promise<Result> {
  await sql`delete from public.traffic_alerts`;
  await clearData(sql);
  await generateYear(sql, scale);
  await sql`analyze`;
  let summary!: Record<string, unknown>;
  const first = await time(async () => {
    [{ r: summary }] = await sql`select public.traffic_alerts_evaluate() as r`;
  });
  const steady: number[] = [];
  for (let i = 0; i < 5; i++) {
    steady.push(await time(() => sql`select public.traffic_alerts_evaluate()`));
  }
  const baseline: number[] = [];
  for (let i = 0; i < 5; i++) {
    baseline.push(
      await time(() =>
        sql`select user_id, ad_id, sum(spend) from public.traffic_facebook_ads_raw
          where stat_date >= (now() at time zone 'Asia/Almaty')::date - 1
          group by user_id, ad_id`
      ),
    );
  }
  const rules: Record<string, number> = {};
  for (const r of await sql`select rule_key, params from public.traffic_alert_rules order by 1`) {
    const t: number[] = [];
    for (let i = 0; i < 3; i++) {
      t.push(
        await time(() =>
          sql`select count(*) from private.traffic_alert_rule_candidates(${r.rule_key}, ${r.params})`
        ),
      );
    }
    rules[r.rule_key] = Math.round(median(t));
  }
  const [{ raw }] = await sql`select count(*)::int as raw from public.traffic_facebook_ads_raw`;
  const [{ window }] = await sql`select count(*)::int as window
    from public.traffic_facebook_ads_raw
    where stat_date >= (now() at time zone 'Asia/Almaty')::date - 1`;
  return {
    label,
    rawRows: raw,
    leads: scale.leads,
    firstMs: first,
    opened: Number(summary.opened),
    queued: Number(summary.queued),
    steadyMs: median(steady),
    baselineMs: median(baseline),
    rules,
    windowRows: window,
    errors: summary.errors,
  };
}

const jobs = await sql`select jobname, active from cron.job
  where jobname in ('traffic-alerts', 'traffic-alerts-deliver')`;
await sql`update cron.job set active = false
  where jobname in ('traffic-alerts', 'traffic-alerts-deliver')`;
await sql`insert into public.traffic_alert_destinations (name, kind, url)
  values ('bench hook', 'webhook', 'https://hooks.example.com/bench')`;
const results: Result[] = [];
try {
  results.push(await measure("small", SMALL_DATA));
  results.push(await measure("volume", YEAR_VOLUME));
} finally {
  await sql`delete from public.traffic_alert_destinations where name = 'bench hook'`;
  for (const j of jobs) {
    await sql`update cron.job set active = ${j.active} where jobname = ${j.jobname}`;
  }
}

const ms = (x: number) => `${Math.round(x)}`;
console.log(
  "\n| data | ad-day rows | first run (alerts opened, messages queued) | steady run (median of 5) " +
    "| baseline (median of 5) | steady / baseline |",
);
console.log("| --- | --- | --- | --- | --- | --- |");
for (const r of results) {
  console.log(
    `| ${r.label} | ${r.rawRows.toLocaleString("en")} | ${ms(r.firstMs)} ms (${r.opened}, ` +
      `${r.queued}) | ${ms(r.steadyMs)} ms | ${ms(r.baselineMs)} ms | ` +
      `${(r.steadyMs / r.baselineMs).toFixed(2)}× |`,
  );
  if (r.errors && Object.keys(r.errors).length > 0) {
    console.log(`  rule errors: ${JSON.stringify(r.errors)}`);
  }
}
console.log(
  "\n| rule (its SQL alone, median of 3) | " + results.map((r) => r.label).join(" | ") + " |",
);
console.log("| --- | " + results.map(() => "---").join(" | ") + " |");
for (const rule of Object.keys(results[0].rules)) {
  console.log(`| ${rule} | ${results.map((r) => `${r.rules[rule]} ms`).join(" | ")} |`);
}
console.log(
  `| ad-day rows in the spend rule's window (yesterday, today) | ${
    results.map((r) => r.windowRows.toLocaleString("en")).join(" | ")
  } |`,
);
const [small, volume] = results;
console.log(
  `\nsteady run at volume / on small data: ${(volume.steadyMs / small.steadyMs).toFixed(2)}×`,
);
await Deno.mkdir(new URL("../bench-results/", import.meta.url), { recursive: true });
await Deno.writeTextFile(
  new URL("../bench-results/alerts.json", import.meta.url),
  JSON.stringify(results, null, 2),
);
await sql.end();
