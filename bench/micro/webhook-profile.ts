/**
 * `deno run -A bench/micro/webhook-profile.ts <command> ...` against a running stack (its env in
 * the environment, started with the bench's AMOCRM_* settings and STACK_EXTRA_FUNCTIONS_DIR=
 * bench/functions): where a webhook's cost goes, per process and per statement. Not run by
 * `npm run bench`.
 *
 *   setup empty | ads | volume   clears the data (and the stored bodies); `volume` loads
 *                                generateYear(YEAR_VOLUME), `ads` only the teams and 5,000 ads
 *                                (WEBHOOK_ADS_ONLY); then vacuum analyze + checkpoint.
 *   run <label> <ads> [seconds]  one wrk run (16 connections) of the bench's leads[add] bodies;
 *                                <ads> is `directory` (5,000 ads sampled from the directory, as
 *                                the bench's volume phase) or `unknown` (two ad ids nobody has,
 *                                as its empty phase did) or `unknown-distinct` (5,000 ids nobody
 *                                has) or `bare` (the bare-insert baseline). Prints how the bodies
 *                                were processed (alone or in batches, by the rows' xmin). Waits
 *                                until nothing is pending, then prints CPU ms per request of
 *                                Postgres / PostgREST / the function / the gateway (from /proc,
 *                                warm-up, load and drain), WAL per request (pg_stat_wal;
 *                                with track_wal_io_timing, sync µs), the wait events of the
 *                                active backends (sampled every 10 ms) and the top statements
 *                                of pg_stat_statements (reset before the run; when loaded).
 *
 * Env: STACK_DIR (default .stack/dev), TOP (statements printed, 25), NO_CHECKPOINT=1 (no vacuum
 * analyze and checkpoint before the run: measures a run in the middle of a checkpoint cycle).
 * Run it under the bench lock like any load.
 */
import { db, stackEnv } from "../../tests/helpers/stack.ts";
import { clearData, generateYear, WEBHOOK_ADS_ONLY, YEAR_VOLUME } from "../lib/aggregate-data.ts";
import { prepareBaselines } from "../lib/baselines.ts";
import { webhookBodyTemplate } from "../lib/webhook-body.ts";
import { runWrk } from "../lib/wrk.ts";
import { cpuMs, parentPid, stackPid } from "../lib/cpu.ts";

const env = stackEnv();
const sql = db();
const PIPELINE = 880_500_000;
const template = webhookBodyTemplate(PIPELINE, { id: "31555001", subdomain: "kaspiacademy" });

const [cmd, ...args] = Deno.args;
const root = new URL("../../", import.meta.url).pathname;
const stackDir = Deno.env.get("STACK_DIR") ?? `${root}.stack/dev`;

/** CPU ms so far of Postgres (the postmaster's tree), PostgREST, the function, the gateway. */
const [{ backend }] = await sql`select pg_backend_pid() as backend`;
const groups = () =>
  cpuMs({
    postgres: parentPid(backend),
    postgrest: stackPid(stackDir, "postgrest"),
    function: stackPid(stackDir, "fn-amocrm-webhook"),
    gateway: stackPid(stackDir, "gateway"),
  });

const pending = async () =>
  (await sql`select count(*)::int as n from public.traffic_amocrm_events
    where status = 'pending'`)[0].n as number;

if (cmd === "setup") {
  await clearData(sql);
  await sql`truncate public.traffic_amocrm_events, private.amocrm_lead_events`;
  await sql`insert into public.traffic_amocrm_pipelines (pipeline_id, name, product,
      prepayment_status_ids) values (${PIPELINE}, 'bench', 'challenge3d', '{61234502}')
    on conflict do nothing`;
  const t0 = performance.now();
  if (args[0] === "volume") await generateYear(sql, YEAR_VOLUME);
  if (args[0] === "ads") await generateYear(sql, WEBHOOK_ADS_ONLY);
  await sql.unsafe("vacuum analyze");
  await sql`checkpoint`;
  console.log(`setup ${args[0]} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
} else if (cmd === "run") {
  const [label, ads, secs] = args;
  await prepareBaselines(sql, env.SUPABASE_URL, env.SUPABASE_ANON_KEY);
  const adIds = ads === "directory"
    ? (await sql`select ad_id from private.traffic_ad_directory order by md5(ad_id) limit 5000`)
      .map((r) => r.ad_id as string)
    : ads === "unknown-distinct"
    ? Array.from({ length: 5000 }, (_, i) => `nobody_${i}`)
    : ["ad_1_1", "ad_2_7"].map((a) => `nobody_${a}`);
  const base = env.SUPABASE_URL.replace(/\/+$/, "");
  const url = ads === "bare"
    ? `${base}/functions/v1/bare-insert`
    : `${base}/functions/v1/amocrm-webhook?secret=test-webhook-secret`;
  if (Deno.env.get("NO_CHECKPOINT") !== "1") {
    await sql.unsafe(`vacuum analyze public.traffic_amocrm_events, private.amocrm_lead_events,
      public.traffic_leads, public.traffic_sales, public.traffic_leads_daily,
      public.traffic_sales_daily`);
  }
  try {
    await sql`select pg_stat_statements_reset()`;
  } catch { /* not loaded */ }
  if (Deno.env.get("NO_CHECKPOINT") !== "1") await sql`checkpoint`;
  const wal0 =
    (await sql`select wal_records, wal_fpi, wal_bytes, wal_write, wal_sync, wal_sync_time, wal_write_time
    from pg_stat_wal`)[0];
  const io0 = (await sql`select sum(blks_read)::bigint as rd, sum(blks_hit)::bigint as hit
    from pg_stat_database`)[0];
  const before = groups();
  const t0 = performance.now();
  const [{ from }] = await sql`select clock_timestamp() as from`;
  // Wait events of the stack's active backends, sampled every 10 ms during the run.
  const sampler = db();
  const waits = new Map<string, number>();
  let sampling = true;
  let samples = 0;
  const sampled = (async () => {
    await new Promise((r) => setTimeout(r, 1200)); // after wrk's 1 s warm-up
    while (sampling) {
      const rows = await sampler`select coalesce(wait_event_type || ':' || wait_event, 'CPU') as w,
          count(*)::int as n
        from pg_stat_activity
        where state = 'active' and pid <> pg_backend_pid() and backend_type = 'client backend'
        group by 1`;
      samples++;
      for (const r of rows) waits.set(r.w, (waits.get(r.w) ?? 0) + r.n);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const run = await runWrk({
    name: label,
    url,
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    connections: 16,
    seconds: Number(secs ?? 8),
    warmupSeconds: 1,
    template,
    adIds,
    idBase: 400_000_000_000 + Math.floor(Math.random() * 1000) * 100_000_000,
  });
  sampling = false;
  await sampled;
  await sampler.end();
  console.log(
    `${label}: active backends per sample (${samples} samples): ${
      [...waits].sort((a, b) => b[1] - a[1]).map(([w, n]) => `${w} ${(n / samples).toFixed(2)}`)
        .join(", ")
    }`,
  );
  while (await pending() > 0) await new Promise((r) => setTimeout(r, 50));
  const after = groups();
  const wal1 =
    (await sql`select wal_records, wal_fpi, wal_bytes, wal_write, wal_sync, wal_sync_time, wal_write_time
    from pg_stat_wal`)[0];
  const io1 = (await sql`select sum(blks_read)::bigint as rd, sum(blks_hit)::bigint as hit
    from pg_stat_database`)[0];
  const n = run.requests;
  // How the run's bodies were processed: each processing (a request's own body, or a drain's
  // batch) is one (sub)transaction, so the xmin of a processed row names its processing.
  const [units] = await sql`select count(*)::int as bodies, count(distinct x)::int as units,
      count(*) filter (where size = 1)::int as alone, max(size)::int as largest
    from (select xmin::text as x, count(*) over (partition by xmin::text) as size
      from public.traffic_amocrm_events where received_at >= ${from}) e`;
  console.log(
    `${label}: ${units.bodies} bodies processed in ${units.units} processings (${units.alone} ` +
      `alone; mean ${(units.bodies / Math.max(1, units.units)).toFixed(1)}, largest ` +
      `${units.largest} per processing)`,
  );
  const cpu = Object.fromEntries(
    Object.keys(before).map((k) => [k, Math.round((after[k] - before[k]) * 1000 / n) / 1000]),
  );
  const [{ load }] = await sql`select 1 as load`;
  void load;
  const per = (a: unknown, b: unknown) => Math.round((Number(a) - Number(b)) * 10 / n) / 10;
  console.log(
    `${label}: per request: WAL records ${per(wal1.wal_records, wal0.wal_records)}, full-page ` +
      `images ${per(wal1.wal_fpi, wal0.wal_fpi)}, WAL bytes ${
        per(wal1.wal_bytes, wal0.wal_bytes)
      }, WAL syncs ${per(wal1.wal_sync, wal0.wal_sync)}, sync µs ${
        per(wal1.wal_sync_time * 1000, wal0.wal_sync_time * 1000)
      }, write µs ${per(wal1.wal_write_time * 1000, wal0.wal_write_time * 1000)}; blocks read ${
        per(io1.rd, io0.rd)
      }, ` +
      `hit ${per(io1.hit, io0.hit)}`,
  );
  console.log(
    `${label}: ${run.rps} req/s, p50 ${run.p50} p99 ${run.p99} ms, ${run.non2xx} non-2xx, ` +
      `${n} requests; CPU ms/request (incl. warm-up share): ${JSON.stringify(cpu)}; wall ${
        Math.round(performance.now() - t0)
      } ms; load ${Deno.loadavg().join(" ")}`,
  );
  try {
    const top = await sql`select calls, round(total_exec_time::numeric, 1) as exec_ms,
        round(total_plan_time::numeric, 1) as plan_ms,
        round((total_exec_time / greatest(calls, 1))::numeric, 3) as ms_per_call,
        shared_blks_hit + shared_blks_read as blks, shared_blks_read as rd, wal_fpi as fpi, rows,
        left(regexp_replace(query, '\\s+', ' ', 'g'), 110) as query
      from pg_stat_statements
      where dbid = (select oid from pg_database where datname = current_database())
      order by total_exec_time desc limit ${Number(Deno.env.get("TOP") ?? 25)}`;
    for (const t of top) {
      console.log(
        `${String(t.calls).padStart(6)} ${String(t.exec_ms).padStart(9)} ${
          String(t.plan_ms).padStart(7)
        } ${String(t.ms_per_call).padStart(8)} ${String(t.blks).padStart(9)} ${
          String(t.rd).padStart(6)
        } ${String(t.fpi).padStart(6)} ${String(t.rows).padStart(7)}  ${t.query}`,
      );
    }
  } catch (e) {
    console.log(`pg_stat_statements: ${(e as Error).message}`);
  }
}
await sql.end();
