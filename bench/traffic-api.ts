/**
 * `GET /functions/v1/traffic-api/metrics` under concurrent load on the local stack, over loopback
 * through the gateway, against a same-run baseline: the very query the function sends, straight
 * to PostgREST (`GET /rest/v1/traffic_aggregated_metrics`, same select list, filter and order)
 * with the same user JWT. The ratio is the function's cost: one more process hop, reading the
 * caller, validation, sorting, hashing the body for the ETag.
 *
 * Two callers: a targetologist (their 3 rows) and an admin (every team's rows and the totals).
 * Environment: the stack's (`.stack/env` or `$STACK_DIR/env`), `BENCH_CONCURRENCY` (16),
 * `BENCH_SECONDS` (10, per run), `BENCH_TEAMS` (200). Writes `bench-results/traffic-api.json`.
 * Exits 1 when a request failed.
 */
import { metricsRow, selectFor } from "../supabase/functions/traffic-api/responses.ts";
import { createUser, db, stackEnv } from "../tests/helpers/stack.ts";
import { type LoadResult, printTable, runLoad } from "./lib/load.ts";

const env = stackEnv();
const concurrency = Number(Deno.env.get("BENCH_CONCURRENCY") ?? 16);
const seconds = Number(Deno.env.get("BENCH_SECONDS") ?? 10);
const teams = Number(Deno.env.get("BENCH_TEAMS") ?? 200);

const sql = db();
const user = await createUser(sql);
const admin = await createUser(sql, { admin: true });
// `teams` targetologists (the measured user among them), 3 stored periods each, plus the totals.
const others = await sql`insert into auth.users (id, email)
  select gen_random_uuid(), 'bench-' || g || '-' || ${user.id} || '@example.test'
  from generate_series(1, ${teams - 1}) g
  returning id`;
const ids = [user.id, ...others.map((r) => r.id as string)];
const [{ had_totals }] = await sql`select count(*)::int as had_totals
  from public.traffic_aggregated_metrics where user_id is null`;
await sql`insert into public.traffic_aggregated_metrics (user_id, team_name, period,
    period_start, period_end, spend_usd, spend_kzt, impressions, clicks, leads, total_revenue,
    total_sales, roas, cpa_usd, computed_at)
  select u, 'Team ' || left(u::text, 8), p, current_date - 29, current_date,
    round((random() * 1000)::numeric, 2), round((random() * 500000)::numeric, 2),
    (random() * 1e6)::bigint, (random() * 1e4)::bigint, (random() * 100)::int,
    round((random() * 1e6)::numeric, 2), (random() * 20)::int, random()::numeric, 12.5, now()
  from unnest(${ids}::uuid[]) as u, unnest(array['today', '7d', '30d']) as p
  union all
  select null, 'All teams', p, current_date - 29, current_date, 1, 1, 1, 1, 1, 1, 1, 1, 1, now()
  from unnest(array['today', '7d', '30d']) as p
  on conflict on constraint traffic_aggregated_metrics_user_period_key do nothing`;
const [{ rows: adminRows }] = await sql`select count(*)::int as rows
  from public.traffic_aggregated_metrics`;

const periods = "today,7d,30d";
const apiUrl = `${env.SUPABASE_URL}/functions/v1/traffic-api/metrics?period=${periods}`;
// What traffic-api itself sends (one page: fewer than 1000 rows here).
const baseUrl = `${env.SUPABASE_URL}/rest/v1/traffic_aggregated_metrics?select=${
  selectFor(metricsRow)
}&period=in.(${periods})&order=user_id.nullsfirst,period&offset=0&limit=1000`;

async function rows(url: string, headers: HeadersInit): Promise<number> {
  const body = await (await fetch(url, { headers })).json();
  return (Array.isArray(body) ? body : body.data)?.length ?? -1;
}

const scenarios = [
  { name: "targetologist", jwt: user.jwt, rows: 3 },
  { name: "admin", jwt: admin.jwt, rows: adminRows },
];
const results: LoadResult[] = [];
const ratios: Record<string, number> = {};
for (const s of scenarios) {
  const headers = { authorization: `Bearer ${s.jwt}`, apikey: env.SUPABASE_ANON_KEY };
  const got = [await rows(apiUrl, headers), await rows(baseUrl, headers)];
  if (got[0] !== s.rows || got[1] !== s.rows) {
    throw new Error(`${s.name}: expected ${s.rows} rows, got ${got.join(" / ")}`);
  }
  const send = (url: string) => async () => {
    const res = await fetch(url, { headers });
    await res.arrayBuffer();
    return res.status === 200;
  };
  const base = await runLoad({
    name: `postgrest ${s.name} (${s.rows} rows)`,
    concurrency,
    seconds,
    send: send(baseUrl),
  });
  const api = await runLoad({
    name: `traffic-api ${s.name} (${s.rows} rows)`,
    concurrency,
    seconds,
    send: send(apiUrl),
  });
  results.push(base, api);
  const r = (x: number, y: number) => Math.round((x / y) * 100) / 100;
  ratios[`${s.name}_rps_vs_postgrest`] = r(api.rps, base.rps);
  ratios[`${s.name}_p50_vs_postgrest`] = r(api.p50, base.p50);
  ratios[`${s.name}_p99_vs_postgrest`] = r(api.p99, base.p99);
}

await sql`delete from auth.users where id = any(${[...ids, admin.id]}::uuid[])`;
if (had_totals === 0) {
  await sql`delete from public.traffic_aggregated_metrics where user_id is null
    and team_name = 'All teams' and spend_usd = 1`;
}
await sql.end();

console.log(`traffic-api bench: GET /metrics, ${concurrency} connections, ${seconds} s per run`);
printTable(results);
console.log(
  "ratios (traffic-api / PostgREST): " +
    Object.entries(ratios).map(([k, v]) => `${k} ${v}`).join(", "),
);
await Deno.mkdir(new URL("../bench-results/", import.meta.url), { recursive: true });
await Deno.writeTextFile(
  new URL("../bench-results/traffic-api.json", import.meta.url),
  JSON.stringify({ concurrency, seconds, teams, results, ratios }, null, 2) + "\n",
);
if (results.some((r) => r.errors > 0)) {
  console.error("FAIL: some requests did not answer 200");
  Deno.exit(1);
}
