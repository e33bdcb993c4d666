/**
 * Benchmark: `GET /functions/v1/traffic-api/metrics` under concurrent load on the local stack,
 * against a same-run baseline: the very query the function sends, straight to PostgREST
 * (`/rest/v1/traffic_aggregated_metrics`) with the same JWT. The ratio is the function's cost:
 * one more process hop, JWT claim parsing, validation, sorting, hashing the body for the ETag.
 *
 * Run by `npm run bench` (its own stack), or against a running stack:
 *   deno run -A bench/traffic-api.ts [--concurrency 16] [--seconds 5] [--teams 200]
 * Writes bench-results/traffic-api.json.
 */
import { parseArgs } from "node:util";
import { metricsRow, selectFor } from "../supabase/functions/traffic-api/responses.ts";
import { createUser, db, stackEnv } from "../tests/helpers/stack.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    concurrency: { type: "string", default: "16" },
    seconds: { type: "string", default: "5" },
    teams: { type: "string", default: "200" },
  },
});
const concurrency = Number(values.concurrency);
const seconds = Number(values.seconds);
const teams = Number(values.teams);

interface Result {
  requests: number;
  errors: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** `concurrency` workers request `url` back to back for `ms` milliseconds. */
async function load(url: string, headers: HeadersInit, ms: number): Promise<Result> {
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const end = start + ms;
  const worker = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const res = await fetch(url, { headers });
      await res.arrayBuffer();
      if (res.status !== 200) errors++;
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    requests: latencies.length,
    errors,
    rps: round(latencies.length / elapsed),
    p50_ms: round(quantile(latencies, 0.5)),
    p99_ms: round(quantile(latencies, 0.99)),
  };
}

const sql = db();
const env = stackEnv();
const user = await createUser(sql);
const admin = await createUser(sql, { admin: true });
// `teams` targetologists (the measured user among them) with 3 stored periods each, plus totals.
await sql`insert into auth.users (id, email)
  select gen_random_uuid(), 'bench-' || g || '-' || ${user.id} || '@example.test'
  from generate_series(1, ${teams - 1}) g`;
const ids = [
  user.id,
  ...(await sql`select id from auth.users where email like ${`bench-%-${user.id}@%`}`).map((
    r,
  ) => r.id as string),
];
await sql`insert into public.traffic_aggregated_metrics (user_id, team_name, period,
    period_start, period_end, spend_usd, spend_kzt, impressions, clicks, leads, total_revenue,
    total_sales, roas, cpa_usd, computed_at)
  select u, 'Team ' || left(u::text, 8), p, current_date - 29, current_date,
    round((random() * 1000)::numeric, 2), round((random() * 500000)::numeric, 2),
    (random() * 1e6)::bigint, (random() * 1e4)::bigint, (random() * 100)::int,
    round((random() * 1e6)::numeric, 2), (random() * 20)::int, random()::numeric, 12.5, now()
  from unnest(${ids}::uuid[]) as u, unnest(array['today', '7d', '30d']) as p
  union all
  select null, 'Total', p, current_date - 29, current_date, 1, 1, 1, 1, 1, 1, 1, 1, 1, now()
  from unnest(array['today', '7d', '30d']) as p
  on conflict on constraint traffic_aggregated_metrics_user_period_key do nothing`;

const periods = "today,7d,30d";
const apiUrl = `${env.SUPABASE_URL}/functions/v1/traffic-api/metrics?period=${periods}`;
// The query traffic-api itself sends (one page; fewer than 1000 rows here).
const baseUrl = `${env.SUPABASE_URL}/rest/v1/traffic_aggregated_metrics?select=${
  selectFor(metricsRow)
}&period=in.(${periods})&order=user_id.nullsfirst,period&offset=0&limit=1000`;

const scenarios = [
  { name: "targetologist (3 rows)", jwt: user.jwt, rows: 3 },
  { name: `admin (${teams * 3 + 3} rows)`, jwt: admin.jwt, rows: teams * 3 + 3 },
];
const report: Record<string, unknown>[] = [];
for (const s of scenarios) {
  const headers = { authorization: `Bearer ${s.jwt}`, apikey: env.SUPABASE_ANON_KEY };
  const api = await (await fetch(apiUrl, { headers })).json();
  const base = await (await fetch(baseUrl, { headers })).json();
  if (api.data?.length !== s.rows || base.length !== s.rows) {
    throw new Error(`${s.name}: expected ${s.rows} rows, got ${api.data?.length}/${base.length}`);
  }
  await load(apiUrl, headers, 1000); // warm-up
  await load(baseUrl, headers, 1000);
  // Alternate the two so drift on a shared machine hits both alike; keep the better round.
  const rounds: { api: Result; base: Result }[] = [];
  for (let i = 0; i < 2; i++) {
    const b = await load(baseUrl, headers, (seconds * 1000) / 2);
    const a = await load(apiUrl, headers, (seconds * 1000) / 2);
    rounds.push({ api: a, base: b });
  }
  const best = (k: "api" | "base") => rounds.map((r) => r[k]).sort((x, y) => y.rps - x.rps)[0];
  const a = best("api");
  const b = best("base");
  const row = {
    scenario: s.name,
    concurrency,
    api: a,
    baseline: b,
    rps_ratio: Math.round((a.rps / b.rps) * 100) / 100,
    p50_ratio: Math.round((a.p50_ms / b.p50_ms) * 100) / 100,
    p99_ratio: Math.round((a.p99_ms / b.p99_ms) * 100) / 100,
  };
  report.push(row);
  console.log(
    `${s.name}, ${concurrency} concurrent: traffic-api ${a.rps} req/s p50 ${a.p50_ms} ms ` +
      `p99 ${a.p99_ms} ms | PostgREST baseline ${b.rps} req/s p50 ${b.p50_ms} ms ` +
      `p99 ${b.p99_ms} ms | ratio rps ${row.rps_ratio}x, p50 ${row.p50_ratio}x, p99 ` +
      `${row.p99_ratio}x | errors ${a.errors}/${b.errors}`,
  );
}
await Deno.mkdir("bench-results", { recursive: true });
await Deno.writeTextFile(
  "bench-results/traffic-api.json",
  JSON.stringify(
    { at: new Date().toISOString(), cpus: navigator.hardwareConcurrency, report },
    null,
    2,
  ),
);
await sql`delete from public.traffic_aggregated_metrics where user_id is null and team_name = 'Total'
  and period_end = current_date and spend_usd = 1`;
await sql`delete from auth.users where id = any(${[...ids, admin.id]}::uuid[])`;
await sql.end();
