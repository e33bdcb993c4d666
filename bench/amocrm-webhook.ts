/**
 * AmoCRM webhook ingestion under 16 connections (wrk), through the gateway: distinct, realistic
 * `leads[add]` bodies (a new deal each; 9 in 10 name one of 5,000 ads of the loaded directory in
 * utm_content, 1 in 10 an id nobody has: organic, unattributed), each stored by its request and
 * processed by it or, when another request is processing at that moment, by the background drain
 * right after — on an "empty" database (only the teams and the 5,000 ads the bodies name:
 * WEBHOOK_ADS_ONLY, so a body is processed the same way in every phase) and at a year's volume
 * (bench/lib/aggregate-data.ts: 50k ads, 2M ad-day rows, 300k leads, 30k sales),
 * against the bench-only baseline `bare-insert` (bench/functions/bare-insert: gateway → Deno
 * function → supabase-js → PostgREST, the raw body inserted as one row, nothing else).
 *
 * Three phases: empty, at volume, and empty again after the volume phase (its data truncated), so
 * that the machine's drift over the bench's minutes (the load, other work) weighs on both sides of
 * volume ÷ empty (the empty figures are the medians over both empty phases; each side's ratio is
 * printed too). Each phase starts from the same settled state (the whole database vacuumed and
 * analyzed — at volume after the load —, a checkpoint, no autovacuum worker running), then runs
 * `BENCH_ROUNDS` (3) rounds of one bare-insert and one webhook run, alternating which goes first,
 * each run again
 * after a vacuum analyze of the tables the runs write and a checkpoint. Prints rps, p99 and non-2xx
 * of every run, the medians, the ratios (issue 11 item 1: volume ≥ 0.9× empty, ≥ 0.5× bare-insert
 * — the median of the rounds' paired ratios —, p99 ≤ 250 ms, 0 non-2xx) and checks that every
 * body answered 2xx is stored (its body is in traffic_amocrm_events) and, once the system has
 * drained on its own (the bench never calls the drain), processed into traffic_leads. Freshness:
 * how many bodies were still pending when each run's load stopped, how long until none was, and
 * received → processed of the phase's bodies (p50 / p99 / max; a body still pending counts to now).
 * Per run, figures the machine's load moves less than req/s: CPU ms per request of Postgres,
 * PostgREST, the function and the gateway (from /proc) and WAL bytes and full-page images per
 * request (pg_stat_wal), both over the warm-up, the load and (webhook) the drain of what it left
 * pending, divided by the warm-up's and the run's requests; and the pg_cron jobs and function
 * runs (traffic_sync_history) that overlapped the run, and the tables autovacuum ran on. Medians
 * of an even count (the six empty runs) are the mean of the middle two.
 *
 * Environment: the stack's, `AMOCRM_WEBHOOK_SECRET`, `AMOCRM_ACCOUNT_ID`, `AMOCRM_SUBDOMAIN` (as
 * the stack got them), `BENCH_CONNECTIONS` (16), `BENCH_SECONDS` (8 per run), `BENCH_ROUNDS` (3
 * per phase). Writes `bench-results/amocrm-webhook.json`. Exits 1 when a body answered 2xx was not stored.
 */
import { sleep, waitForRest } from "../tests/helpers/faults.ts";
import { db, stackEnv } from "../tests/helpers/stack.ts";
import { clearData, generateYear, WEBHOOK_ADS_ONLY, YEAR_VOLUME } from "./lib/aggregate-data.ts";
import { prepareBaselines, retryDeadlock } from "./lib/baselines.ts";
import { refileEmptyTables } from "./lib/refile.ts";
import { cpuMs, parentPid, stackPid } from "./lib/cpu.ts";
import { middleMedian as median, printTable } from "./lib/load.ts";
import { webhookBodyTemplate } from "./lib/webhook-body.ts";
import { ratio, runWrk, type WrkResult } from "./lib/wrk.ts";

const env = stackEnv();
const secret = Deno.env.get("AMOCRM_WEBHOOK_SECRET") || "test-webhook-secret";
const account = {
  id: Deno.env.get("AMOCRM_ACCOUNT_ID") || "31555001",
  subdomain: Deno.env.get("AMOCRM_SUBDOMAIN") || "kaspiacademy",
};
const connections = Number(Deno.env.get("BENCH_CONNECTIONS") ?? 16);
const seconds = Number(Deno.env.get("BENCH_SECONDS") ?? 8);
const rounds = Number(Deno.env.get("BENCH_ROUNDS") ?? 3);
const PIPELINE = 880_000_000 + Math.floor(Math.random() * 1_000_000);
/** One new deal; load.lua fills __ID__ (the lead id), __AD__ (an ad id) and __TS__. */
const template = webhookBodyTemplate(PIPELINE, account);

const base = env.SUPABASE_URL.replace(/\/+$/, "");
const webhookUrl = `${base}/functions/v1/amocrm-webhook?secret=${encodeURIComponent(secret)}`;
const bareUrl = `${base}/functions/v1/bare-insert`;
const formHeaders = { "content-type": "application/x-www-form-urlencoded" };

const sql = db();
await prepareBaselines(sql, env.SUPABASE_URL, env.SUPABASE_ANON_KEY);

// CPU per request by process (from /proc; the machine's load moves it far less than req/s):
// Postgres (the postmaster's tree), PostgREST, the function under test, the gateway.
const stackDir = Deno.env.get("STACK_DIR") ?? new URL("../.stack/bench", import.meta.url).pathname;
const [{ backend }] = await sql`select pg_backend_pid() as backend`;
const cpuRoots = (fn: string) => ({
  postgres: parentPid(backend),
  postgrest: stackPid(stackDir, "postgrest"),
  function: stackPid(stackDir, `fn-${fn}`),
  gateway: stackPid(stackDir, "gateway"),
});
/** Each run's CPU ms per request by process and their sum (describeRun fills it). */
const cpuOfRun = new Map<WrkResult, Record<string, number>>();

/** One webhook run and what the system did with its bodies. */
interface WebhookRun {
  run: WrkResult;
  /** Bodies still pending when wrk stopped, and ms until none was (drained by the system). */
  pendingAtEnd: number;
  drainedAfterMs: number;
  /** Bodies still pending when the wait gave up (90 s); 0 when the system drained them all. */
  pendingLeft: number;
}

/**
 * What else ran on the stack during a run (warm-up and measured load): pg_cron jobs and the
 * functions' runs (traffic_sync_history: aggregation, syncs) that overlapped its window, with how
 * many ms of each fell inside it.
 */
async function background(from: Date, to: Date): Promise<string> {
  const rows = await sql`
    select name, count(*)::int as n,
      round(sum(extract(epoch from least(finish, ${to}::timestamptz)
        - greatest(start, ${from}::timestamptz)) * 1000))::int as ms
    from (
      select j.jobname as name, d.start_time as start, coalesce(d.end_time, now()) as finish
      from cron.job_run_details d join cron.job j using (jobid)
      union all
      select 'function (wall time) ' || h.sync_type, h.started_at, coalesce(h.finished_at, now())
      from public.traffic_sync_history h
    ) as r
    where start < ${to}::timestamptz and finish > ${from}::timestamptz
    group by name order by ms desc`;
  return rows.filter((r) => r.ms >= 20).map((r) => `${r.name} ${r.ms} ms`).join(", ") ||
    "nothing over 20 ms";
}

interface Phase {
  name: string;
  /** Every run, in the order it ran (rounds alternate which of the two goes first). */
  bares: WrkResult[];
  webhooks: WebhookRun[];
  /** Medians over the rounds (rps, p99) and the median of the rounds' paired ratios. */
  bare: { rps: number; p99: number };
  webhook: { rps: number; p99: number; non2xx: number };
  pairedRatios: number[];
  answered2xx: number;
  stored: number;
  processed: number;
  attributed: number;
  events: { processed: number; pending: number; failed: number };
  /** received → processed of every body of the phase, ms (a body still pending counts to now). */
  lag: { p50: number; p99: number; max: number };
}
const phases: Phase[] = [];

const pendingCount = async () =>
  (await sql`select count(*)::int as n from public.traffic_amocrm_events
    where status = 'pending'`)[0].n as number;

/**
 * The same settled state before every run: what the previous run wrote is vacuumed and analyzed,
 * its dirty pages are flushed (checkpoint), and no autovacuum worker is running — so neither run
 * of a pair pays for what the other (or the volume load) left behind.
 */
async function settle(): Promise<string> {
  await sql.unsafe(`vacuum analyze public.traffic_amocrm_events, private.amocrm_lead_events,
    public.bench_inserts, public.traffic_leads, public.traffic_sales,
    public.traffic_leads_daily, public.traffic_sales_daily`);
  await sql`checkpoint`;
  // Nor does a run share the machine with a vacuum or a pg_cron job still busy (the minute jobs
  // then start during the run as they would anyway, on both kinds of run alike).
  const t0 = performance.now();
  let busy = 1;
  while (busy > 0 && performance.now() - t0 < 120_000) {
    [{ busy }] = await sql`select count(*)::int as busy from pg_stat_activity
      where state <> 'idle' and pid <> pg_backend_pid()
        and (backend_type = 'autovacuum worker' or application_name = 'pg_cron')`;
    if (busy > 0) await sleep(200);
  }
  return `vacuum analyze + checkpoint, autovacuum and pg_cron jobs idle after ${
    Math.round(performance.now() - t0)
  } ms${busy > 0 ? ` (STILL ${busy} busy: gave up waiting)` : ""}`;
}

/**
 * PostgREST's connections closed (a schema-cache reload flushes its pool), and the next ones
 * opened: each phase's first run starts, like the first phase's after the stack's start, on
 * connections that have planned nothing yet. A connection kept from the previous phase has made
 * its five custom plans of amocrm_receive_event's statements there, so after the TRUNCATE of the
 * stored bodies it builds its generic plans at once, on the 0–1 pages of the emptied table — a
 * sequential scan for the primary-key lookup and the "other body pending" probe — and keeps them
 * for the whole run while the table grows (traced: 3,373 rows read by sequential scans per
 * request in the first webhook run after the volume phase, against 95 in the first phase's).
 */
async function freshConnections(): Promise<string> {
  const pool = async () =>
    (await sql`select pid from pg_stat_activity
      where application_name like 'PostgREST%' and query not like 'LISTEN%'`).map((r) =>
      r.pid as number
    );
  const before = await pool();
  await sql`notify pgrst, 'reload schema'`;
  const t0 = performance.now();
  while (performance.now() - t0 < 30_000) {
    const now = await pool();
    if (!now.some((p) => before.includes(p))) {
      // and the reloaded schema cache answers
      await waitForRest(Math.max(1, 30_000 - (performance.now() - t0)));
      return `PostgREST's pool flushed (${before.length} connections closed) after ${
        Math.round(performance.now() - t0)
      } ms`;
    }
    await sleep(100);
  }
  return `PostgREST's pool NOT flushed within 30 s (${before.length} connections)`;
}

/** Where a run starts: the database's clock, the WAL counters and the CPU of the processes. */
interface RunStart {
  from: Date;
  wal: Wal;
  roots: Record<string, number>;
  cpu: Record<string, number>;
  tables: TableCounters;
}
async function startRun(fn: string): Promise<RunStart> {
  const roots = cpuRoots(fn);
  await statementsReset();
  return {
    from: await dbNow(),
    wal: await walNow(),
    roots,
    cpu: cpuMs(roots),
    tables: await tableCountersNow(),
  };
}

/**
 * Per table of the project's schemas, so far: rows read by sequential scans, and autovacuum plus
 * autoanalyze runs (settle() waits for autovacuum to be idle before a run, but one may start
 * during it: a table the runs write crossing its threshold, on the small tables of the empty
 * phases sooner than at volume).
 */
interface TableCounters {
  seqRead: Map<string, number>;
  autovacuum: Map<string, number>;
}
async function tableCountersNow(): Promise<TableCounters> {
  const rows = await sql`select schemaname || '.' || relname as t, seq_tup_read::float8 as n,
      (autovacuum_count + autoanalyze_count)::int as v
    from pg_stat_all_tables where schemaname in ('public', 'private')`;
  return {
    seqRead: new Map(rows.map((r) => [r.t as string, r.n as number])),
    autovacuum: new Map(rows.map((r) => [r.t as string, r.v as number])),
  };
}

/**
 * The tables a run read by sequential scans, rows per request (those over 1): an index lookup
 * planned on a just-emptied table scans it whole once it has grown.
 */
function seqReadSince(
  before: Map<string, number>,
  now: Map<string, number>,
  requests: number,
): string {
  const read = [...now]
    .map(([t, n]) => [t, (n - (before.get(t) ?? 0)) / requests] as const)
    .filter(([, n]) => n > 1).sort((a, b) => b[1] - a[1]);
  return read.length
    ? `rows read by sequential scans per request: ${
      read.map(([t, n]) => `${t} ${n.toFixed(0)}`).join(", ")
    }`
    : "no sequential scan read over 1 row per request";
}

/**
 * When the stack loads pg_stat_statements (the bench's own stack does not; a dev stack may, to
 * trace a run): reset at a run's start, the run's costliest statements at its end.
 */
async function statementsReset(): Promise<void> {
  try {
    await sql`select pg_stat_statements_reset()`;
  } catch { /* not loaded */ }
}
async function statementsTop(): Promise<string> {
  try {
    const top = await sql`select calls, round(total_exec_time::numeric, 1) as ms,
        round((total_exec_time / greatest(calls, 1))::numeric, 3) as per_call,
        left(regexp_replace(query, '\s+', ' ', 'g'), 90) as query
      from pg_stat_statements order by total_exec_time desc limit 8`;
    return top.map((t) => `\n    ${t.calls} calls, ${t.ms} ms (${t.per_call} a call): ${t.query}`)
      .join("");
  } catch {
    return "";
  }
}

/** The tables autovacuum / autoanalyze ran on since `before`, with how many times. */
function autovacuumSince(before: Map<string, number>, now: Map<string, number>): string {
  const ran = [...now].filter(([t, n]) => n > (before.get(t) ?? 0))
    .map(([t, n]) => `${t} ${n - (before.get(t) ?? 0)}`);
  return ran.length ? `autovacuum/autoanalyze ${ran.join(", ")}` : "no autovacuum";
}

/**
 * Prints a run's CPU ms and WAL per request, both from its start (before the warm-up) to now (the
 * webhook's: after the drain of what the load left pending), over the warm-up's and the run's
 * requests, and what else ran during its load.
 */
async function describeRun(run: WrkResult, start: RunStart): Promise<void> {
  const cpuNow = cpuMs(start.roots);
  const walEnd = await walNow();
  const n = run.requests + run.warmupRequests;
  const cpu: Record<string, number> = {};
  let total = 0;
  for (const k of Object.keys(start.roots)) {
    cpu[k] = Math.round(((cpuNow[k] - start.cpu[k]) / n) * 100) / 100;
    total += cpuNow[k] - start.cpu[k];
  }
  cpu.total = Math.round((total / n) * 100) / 100;
  cpuOfRun.set(run, cpu);
  const per = (k: keyof Wal) => Math.round(((walEnd[k] - start.wal[k]) / n) * 10) / 10;
  const to = new Date(start.from.getTime() + (run.seconds + 2) * 1000);
  let processing = "";
  if (run.name.includes("webhook")) {
    // How its bodies were processed: each processing (a request's own body, or one batch of a
    // drain) is one (sub)transaction, so the xmin of a processed row names its processing.
    const [u] = await sql`select count(*)::int as bodies, count(distinct x)::int as units,
        count(*) filter (where size = 1)::int as alone
      from (select xmin::text as x, count(*) over (partition by xmin::text) as size
        from public.traffic_amocrm_events where received_at >= ${start.from}) e`;
    processing = `; its ${u.bodies} bodies processed in ${u.units} processings (${u.alone} ` +
      `alone, mean ${(u.bodies / Math.max(1, u.units)).toFixed(1)} bodies)`;
  }
  const during = await background(start.from, to);
  const tables = await tableCountersNow();
  const vacuums = autovacuumSince(start.tables.autovacuum, tables.autovacuum);
  const scans = seqReadSince(start.tables.seqRead, tables.seqRead, n);
  console.log(
    `${run.name}: per request (warm-up, run${
      run.name.includes("webhook") ? " and drain" : ""
    }): CPU ms ${JSON.stringify(cpu)}, WAL ${per("bytes")} bytes, ${
      per("fpi")
    } full-page images${processing}; during the run: ${during}; ${vacuums} (to the end of ` +
      `the drain); ${scans}${await statementsTop()}`,
  );
}

/** The cluster's WAL counters (pg_stat_wal): bytes, full-page images. */
interface Wal {
  bytes: number;
  fpi: number;
}
const walNow = async (): Promise<Wal> => {
  const [w] = await sql`select wal_bytes::float8 as bytes, wal_fpi::float8 as fpi
    from pg_stat_wal`;
  return { bytes: w.bytes, fpi: w.fpi };
};

/** The database's clock (the windows are compared with its timestamps). */
const dbNow = async () => (await sql`select clock_timestamp() as t`)[0].t as Date;

async function runWebhook(name: string, adIds: string[], idBase: number): Promise<WebhookRun> {
  const start = await startRun("amocrm-webhook");
  const run = await runWrk({
    name,
    url: webhookUrl,
    method: "POST",
    headers: formHeaders,
    connections,
    seconds,
    template,
    adIds,
    idBase,
    collectOk: true,
  });
  // What the load left pending is drained by the function's background drain (and, at worst, the
  // pg_cron job amocrm-drain): wait for it without calling anything.
  const stopped = performance.now();
  const pendingAtEnd = await pendingCount();
  while (await pendingCount() > 0 && performance.now() - stopped < 90_000) {
    await sleep(100);
  }
  const drainedAfterMs = Math.round(performance.now() - stopped);
  await describeRun(run, start);
  return { run, pendingAtEnd, drainedAfterMs, pendingLeft: await pendingCount() };
}

/**
 * One phase. `load`: a year's volume (YEAR_VOLUME), or only the teams and the 5,000 ads the bodies
 * name (WEBHOOK_ADS_ONLY: the "empty database", so that a body is processed the same way in both
 * phases — attributed to its ad's team — and what differs is the data around it).
 */
async function measure(name: string, load: "volume" | "ads only", idBase: number): Promise<void> {
  await retryDeadlock(() => clearData(sql));
  await sql`truncate public.traffic_amocrm_events, private.amocrm_lead_events`;
  await sql`truncate public.bench_inserts`;
  const refiled = await refileEmptyTables(sql);
  console.log(`${name}: emptied tables given new files: ${refiled}`);
  await sql`insert into public.traffic_amocrm_pipelines (pipeline_id, name, product,
      prepayment_status_ids) values (${PIPELINE}, 'bench', 'challenge3d', '{61234502}')
    on conflict do nothing`;
  const t0 = performance.now();
  if (load === "ads only") {
    await generateYear(sql, WEBHOOK_ADS_ONLY);
    console.log(`${name}: loaded only the teams and their 5,000 ads (no ad-days, leads, sales)`);
  } else {
    await generateYear(sql, YEAR_VOLUME);
    // The load appends its 300k leads and 30k sales through the rollup triggers: ~205k delta rows
    // in traffic_leads_daily, which the minute job traffic-fold-rollups then folds for minutes
    // (seen > 5 min, one core busy) — during the measurement, where it cost the bare insert as
    // much as the webhook. A year of real traffic leaves them folded: the rollups are rebuilt from
    // the rows (the repair path), after cancelling a fold already started on them (it rolls back;
    // the rebuild replaces what it would have written).
    const [{ cancelled }] = await sql`select count(pg_cancel_backend(pid))::int as cancelled
      from pg_stat_activity
      where application_name = 'pg_cron' and query like '%traffic_fold_daily_rollups%'`;
    const [{ rebuilt }] = await sql`select private.traffic_rebuild_leads_sales_daily() as rebuilt`;
    console.log(
      `${name}: loaded a year's volume in ${
        ((performance.now() - t0) / 1000).toFixed(0)
      } s; lead/sale rollups rebuilt folded (${JSON.stringify(rebuilt)}; ${cancelled} fold ` +
        `job cancelled)`,
    );
  }
  // Both phases start settled the same way: the whole database vacuumed and analyzed (after the
  // load: its 2M fresh rows), flushed, autovacuum idle.
  await sql.unsafe("vacuum analyze");
  console.log(`${name}: settled (whole database): ${await settle()}`);
  console.log(`${name}: ${await freshConnections()}`);
  const rows = await sql`select ad_id from private.traffic_ad_directory
    order by md5(ad_id) limit 5000`;
  // The same mix in every phase: 9 bodies in 10 name one of 5,000 ads of the directory (a lead
  // attributed to its team), 1 in 10 an id nobody has (organic traffic: an unattributed lead, on
  // the one (null, day) key of the rollups).
  const adIds = rows.map((r, i) => i % 10 === 9 ? `organic_${i}` : r.ad_id as string);
  const [{ n }] = await sql`select count(*)::int as n from private.traffic_ad_directory`;
  console.log(`${name}: ${n} ads in the directory`);

  const bares: WrkResult[] = [];
  const webhooks: WebhookRun[] = [];
  const pairedRatios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate which goes first (bare, webhook; webhook, bare; ...), so neither always runs on
    // the state the other leaves.
    const order = r % 2 === 0 ? ["bare", "webhook"] : ["webhook", "bare"];
    for (const which of order) {
      const settled = await settle();
      if (which === "bare") {
        const start = await startRun("bare-insert");
        bares.push(
          await runWrk({
            name: `${name} bare-insert #${r + 1}`,
            url: bareUrl,
            method: "POST",
            headers: formHeaders,
            connections,
            seconds,
            template,
            adIds,
            idBase: idBase + 1_000_000_000 * (r + 1),
          }),
        );
        await describeRun(bares[bares.length - 1], start);
      } else {
        webhooks.push(
          await runWebhook(`${name} amocrm-webhook #${r + 1}`, adIds, idBase + 2_000_000 * r),
        );
      }
      console.log(`${name} round ${r + 1} ${which}: settled first (${settled})`);
    }
    pairedRatios.push(ratio(webhooks[r].run.rps, bares[r].rps));
  }

  const [lag] = await sql`select
      coalesce(round(percentile_cont(0.5) within group (order by ms))::int, 0) as p50,
      coalesce(round(percentile_cont(0.99) within group (order by ms))::int, 0) as p99,
      coalesce(round(max(ms))::int, 0) as max
    from (select extract(epoch from coalesce(e.processed_at, clock_timestamp()) - e.received_at)
        * 1000 as ms
      from public.traffic_amocrm_events e) s`;
  // Stored: the body is in traffic_amocrm_events (replayable whatever its status). Processed: its
  // lead is in traffic_leads.
  const okIds = webhooks.flatMap((w) => w.run.okIds);
  const ids = okIds.map(String);
  const [check] = await sql`select
      (select count(distinct e.payload -> 'events' -> 0 ->> 'leadId')::int
       from public.traffic_amocrm_events e
       where e.payload -> 'events' -> 0 ->> 'leadId' = any(${ids}::text[])) as stored,
      count(*)::int as processed,
      count(*) filter (where l.user_id is not null)::int as attributed
    from public.traffic_leads l where l.amocrm_lead_id = any(${okIds}::bigint[])`;
  const [status] =
    await sql`select count(*) filter (where e.status = 'processed')::int as processed,
      count(*) filter (where e.status = 'pending')::int as pending,
      count(*) filter (where e.status = 'failed')::int as failed
    from public.traffic_amocrm_events e`;
  phases.push({
    name,
    bares,
    webhooks,
    bare: { rps: median(bares.map((b) => b.rps)), p99: median(bares.map((b) => b.p99)) },
    webhook: {
      rps: median(webhooks.map((w) => w.run.rps)),
      p99: median(webhooks.map((w) => w.run.p99)),
      non2xx: webhooks.reduce((n, w) => n + w.run.non2xx, 0),
    },
    pairedRatios,
    answered2xx: okIds.length,
    stored: check.stored,
    processed: check.processed,
    attributed: check.attributed,
    events: { processed: status.processed, pending: status.pending, failed: status.failed },
    lag: { p50: lag.p50, p99: lag.p99, max: lag.max },
  });
}

try {
  await measure("empty", "ads only", 200_000_000_000);
  await measure("volume", "volume", 300_000_000_000);
  // The empty database once more, after the volume phase (its data truncated): the volume phase
  // is compared with both, so what the machine did over the bench's minutes (the load, other
  // work) weighs on each side alike instead of on the later phase only.
  await measure("empty after", "ads only", 400_000_000_000);
} finally {
  await retryDeadlock(() => clearData(sql));
  await sql`truncate public.traffic_amocrm_events, private.amocrm_lead_events`;
  await sql`delete from public.traffic_amocrm_pipelines where pipeline_id = ${PIPELINE}`;
  await sql.end();
}

console.log(
  `\namocrm-webhook bench: wrk, ${connections} connections, ${seconds} s per run, ${rounds} ` +
    `rounds per phase (alternating which runs first), each run after vacuum analyze + checkpoint`,
);
printTable(phases.flatMap((p) => [...p.bares, ...p.webhooks.map((w) => w.run)]));
const [before, volume, after] = phases;
/** The two empty phases as one: medians over all their runs, and all their rounds' ratios. */
const empty = {
  webhook: {
    rps: median([...before.webhooks, ...after.webhooks].map((w) => w.run.rps)),
    p99: median([...before.webhooks, ...after.webhooks].map((w) => w.run.p99)),
    non2xx: before.webhook.non2xx + after.webhook.non2xx,
  },
  bare: {
    rps: median([...before.bares, ...after.bares].map((b) => b.rps)),
    p99: median([...before.bares, ...after.bares].map((b) => b.p99)),
  },
  pairedRatios: [...before.pairedRatios, ...after.pairedRatios],
};
const ratios = {
  // Against the empty database measured before AND after the volume phase (all six runs).
  volume_vs_empty_rps: ratio(volume.webhook.rps, empty.webhook.rps),
  volume_vs_empty_before_rps: ratio(volume.webhook.rps, before.webhook.rps),
  volume_vs_empty_after_rps: ratio(volume.webhook.rps, after.webhook.rps),
  // The median of the rounds' paired ratios (webhook ÷ the bare-insert run next to it).
  empty_vs_bare_insert_rps: median(empty.pairedRatios),
  volume_vs_bare_insert_rps: median(volume.pairedRatios),
  volume_vs_bare_insert_p99: ratio(volume.webhook.p99, volume.bare.p99),
  // The control: the same plumbing's own volume/empty (what the machine did between the phases).
  bare_insert_volume_vs_empty_rps: ratio(volume.bare.rps, empty.bare.rps),
};
// CPU ms per request summed over the four processes, median of the runs: a figure the load of a
// shared machine moves far less than req/s. Empty ÷ volume of the webhook's CPU is the throughput
// ratio a CPU-bound machine would give if nothing else changed between the phases.
const cpuMedian = (runs: WrkResult[]) =>
  +median(runs.map((r) => cpuOfRun.get(r)!.total)).toFixed(2);
const cpu = {
  empty: {
    webhook: cpuMedian([...before.webhooks, ...after.webhooks].map((w) => w.run)),
    bare_insert: cpuMedian([...before.bares, ...after.bares]),
  },
  volume: {
    webhook: cpuMedian(volume.webhooks.map((w) => w.run)),
    bare_insert: cpuMedian(volume.bares),
  },
};
console.log(
  `CPU ms per request (all four processes, median of the runs): webhook empty ${cpu.empty.webhook}, ` +
    `volume ${cpu.volume.webhook} (empty ÷ volume ${
      ratio(cpu.empty.webhook, cpu.volume.webhook)
    }); bare-insert empty ${cpu.empty.bare_insert}, volume ${cpu.volume.bare_insert}`,
);
console.log(
  `\nmedians | empty db (${rounds} rounds before and ${rounds} after the volume phase) | ` +
    `at volume (${rounds} rounds) |\n| --- | --- | --- |\n` +
    `| amocrm-webhook | ${empty.webhook.rps} req/s, p99 ${empty.webhook.p99} ms, ` +
    `${empty.webhook.non2xx} non-2xx (before ${before.webhook.rps}, after ${after.webhook.rps}) | ` +
    `${volume.webhook.rps} req/s, p99 ${volume.webhook.p99} ms, ${volume.webhook.non2xx} non-2xx |\n` +
    `| bare-insert (baseline) | ${empty.bare.rps} req/s, p99 ${empty.bare.p99} ms (before ` +
    `${before.bare.rps}, after ${after.bare.rps}) | ${volume.bare.rps} req/s, p99 ${volume.bare.p99} ms |`,
);
console.log(
  `ratios: volume/empty ${ratios.volume_vs_empty_rps} (goal ≥ 0.9; against the empty phase ` +
    `before ${ratios.volume_vs_empty_before_rps}, after ${ratios.volume_vs_empty_after_rps}), ` +
    `volume/bare-insert ${ratios.volume_vs_bare_insert_rps} (goal ≥ 0.5; rounds ${
      volume.pairedRatios.join(", ")
    }), empty/bare-insert ${ratios.empty_vs_bare_insert_rps} (rounds ${
      empty.pairedRatios.join(", ")
    }), p99 at volume ${volume.webhook.p99} ms (goal ≤ 250; worst run ${
      Math.max(...volume.webhooks.map((w) => w.run.p99))
    }); control: bare-insert volume/empty ${ratios.bare_insert_volume_vs_empty_rps}`,
);
for (const p of phases) {
  console.log(
    `${p.name}: ${p.answered2xx} bodies answered 2xx: ${p.stored} stored, ${p.processed} ` +
      `processed into leads (${p.attributed} attributed to a targetologist); events of the ` +
      `phase: ${p.events.processed} processed, ${p.events.pending} pending, ` +
      `${p.events.failed} failed`,
  );
  for (const w of p.webhooks) {
    console.log(
      `${w.run.name}: freshness: ${w.pendingAtEnd} bodies pending when the load stopped, ` +
        (w.pendingLeft === 0
          ? `none after ${w.drainedAfterMs} ms`
          : `STILL ${w.pendingLeft} pending after ${w.drainedAfterMs} ms (the wait's limit)`),
    );
  }
  console.log(
    `${p.name}: received → processed, every body of the phase (a pending one counts to now): ` +
      `p50 ${p.lag.p50} ms, p99 ${p.lag.p99} ms, max ${p.lag.max} ms`,
  );
}
await Deno.mkdir(new URL("../bench-results/", import.meta.url), { recursive: true });
await Deno.writeTextFile(
  new URL("../bench-results/amocrm-webhook.json", import.meta.url),
  JSON.stringify(
    {
      connections,
      seconds,
      rounds,
      ratios,
      cpu,
      phases: phases.map((p) => ({
        ...p,
        bares: p.bares.map((b) => ({ ...b, okIds: undefined })),
        webhooks: p.webhooks.map((w) => ({ ...w, run: { ...w.run, okIds: undefined } })),
      })),
    },
    null,
    2,
  ) + "\n",
);
if (phases.some((p) => p.stored !== p.answered2xx)) {
  console.error("FAIL: a body answered 2xx was not stored");
  Deno.exit(1);
}
