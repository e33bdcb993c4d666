/**
 * AmoCRM webhook ingestion under 16 connections (wrk), through the gateway: distinct, realistic
 * `leads[add]` bodies (a new deal each, UTM values naming an ad of the loaded directory in
 * utm_content), each stored by its request and processed by it or, when another request is
 * processing at that moment, by the background drain right after — on an empty database and at a
 * year's volume (bench/lib/aggregate-data.ts: 50k ads, 2M ad-day rows, 300k leads, 30k sales),
 * against the bench-only baseline `bare-insert` (bench/functions/bare-insert: gateway → Deno
 * function → supabase-js → PostgREST, the raw body inserted as one row, nothing else).
 *
 * Prints rps, p99 and non-2xx of each run, the ratios (issue 11 item 1: volume ≥ 0.9× empty,
 * ≥ 0.5× bare-insert, p99 ≤ 250 ms, 0 non-2xx) and checks that every body answered 2xx is stored
 * (its body is in traffic_amocrm_events) and, once the system has drained on its own (the bench
 * never calls the drain), processed into traffic_leads. Freshness: how many bodies were still
 * pending when the load stopped, how long until none was, and processed_at - received_at of the
 * run's bodies (p50 / p99 / max).
 *
 * Environment: the stack's, `AMOCRM_WEBHOOK_SECRET`, `AMOCRM_ACCOUNT_ID`, `AMOCRM_SUBDOMAIN` (as
 * the stack got them), `BENCH_CONNECTIONS` (16), `BENCH_SECONDS` (8 per run). Writes
 * `bench-results/amocrm-webhook.json`. Exits 1 when a body answered 2xx was not stored.
 */
import { buildForm } from "../supabase/functions/_shared/amocrm/mod.ts";
import { db, stackEnv } from "../tests/helpers/stack.ts";
import { clearData, generateYear, YEAR_VOLUME } from "./lib/aggregate-data.ts";
import { prepareBaselines, retryDeadlock } from "./lib/baselines.ts";
import { printTable } from "./lib/load.ts";
import { ratio, runWrk, type WrkResult } from "./lib/wrk.ts";

const env = stackEnv();
const secret = Deno.env.get("AMOCRM_WEBHOOK_SECRET") || "test-webhook-secret";
const account = {
  id: Deno.env.get("AMOCRM_ACCOUNT_ID") || "31555001",
  subdomain: Deno.env.get("AMOCRM_SUBDOMAIN") || "kaspiacademy",
};
const connections = Number(Deno.env.get("BENCH_CONNECTIONS") ?? 16);
const seconds = Number(Deno.env.get("BENCH_SECONDS") ?? 8);
const PIPELINE = 880_000_000 + Math.floor(Math.random() * 1_000_000);
const T0 = 1_718_000_000;

/** One new deal; load.lua fills __ID__ (the lead id), __AD__ (an ad id) and __TS__. */
const template = buildForm({
  leads: {
    add: [{
      id: "__ID__",
      name: "Заявка с сайта: Челлендж 3D #__ID__",
      status_id: "61234501",
      price: "0",
      responsible_user_id: "10455001",
      last_modified: "__TS__",
      modified_user_id: "10455001",
      created_user_id: "0",
      date_create: "__TS__",
      pipeline_id: String(PIPELINE),
      account_id: account.id,
      custom_fields: [
        ...Object.entries({
          UTM_SOURCE: "facebook",
          UTM_MEDIUM: "cpc",
          UTM_CAMPAIGN: "challenge3d_december",
          UTM_CONTENT: "__AD__",
        }).map(([code, value], k) => ({
          id: String(971001 + k),
          name: code.toLowerCase(),
          values: [{ value }],
          code,
        })),
        { id: "972001", name: "Продукт", values: [{ value: "Челлендж 3D", enum: "1500301" }] },
      ],
      created_at: String(T0),
      updated_at: "__TS__",
    }],
  },
  account: { ...account, _links: { self: `https://${account.subdomain}.amocrm.ru` } },
});

const base = env.SUPABASE_URL.replace(/\/+$/, "");
const webhookUrl = `${base}/functions/v1/amocrm-webhook?secret=${encodeURIComponent(secret)}`;
const bareUrl = `${base}/functions/v1/bare-insert`;
const formHeaders = { "content-type": "application/x-www-form-urlencoded" };

const sql = db();
await prepareBaselines(sql, env.SUPABASE_URL, env.SUPABASE_ANON_KEY);

interface Phase {
  name: string;
  bare: WrkResult;
  webhook: WrkResult;
  answered2xx: number;
  stored: number;
  processed: number;
  attributed: number;
  events: { processed: number; pending: number; failed: number };
  /** Bodies still pending when wrk stopped, and ms until none was (drained by the system). */
  pendingAtEnd: number;
  drainedAfterMs: number;
  /** processed_at - received_at of the run's bodies, ms. */
  lag: { p50: number; p99: number; max: number };
}
const phases: Phase[] = [];

async function measure(name: string, load: boolean, idBase: number): Promise<void> {
  await retryDeadlock(() => clearData(sql));
  await sql`delete from public.traffic_amocrm_events`;
  await sql`truncate public.bench_inserts`;
  await sql`insert into public.traffic_amocrm_pipelines (pipeline_id, name, product,
      prepayment_status_ids) values (${PIPELINE}, 'bench', 'challenge3d', '{61234502}')
    on conflict do nothing`;
  if (load) {
    const t0 = performance.now();
    await generateYear(sql, YEAR_VOLUME);
    // generateYear ends with vacuum analyze; a checkpoint too, so the measurement does not pay
    // for flushing the 2M rows just written (a year's data is not written the second before).
    await sql`checkpoint`;
    console.log(
      `${name}: loaded a year's volume in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    );
  }
  const rows = await sql`select ad_id from private.traffic_ad_directory
    order by md5(ad_id) limit 5000`;
  // On the empty database the UTM values name ads nobody has (yet).
  const adIds = rows.length ? rows.map((r) => r.ad_id as string) : ["ad_1_1", "ad_2_7"];
  const [{ n }] = await sql`select count(*)::int as n from private.traffic_ad_directory`;
  console.log(`${name}: ${n} ads in the directory`);
  const bare = await runWrk({
    name: `${name} bare-insert`,
    url: bareUrl,
    method: "POST",
    headers: formHeaders,
    connections,
    seconds,
    template,
    adIds,
    idBase: idBase + 1_000_000_000,
  });
  const webhook = await runWrk({
    name: `${name} amocrm-webhook`,
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
  const pendingCount = async () =>
    (await sql`select count(*)::int as n from public.traffic_amocrm_events
      where status = 'pending'`)[0].n as number;
  const pendingAtEnd = await pendingCount();
  while (await pendingCount() > 0 && performance.now() - stopped < 90_000) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const drainedAfterMs = Math.round(performance.now() - stopped);
  const [lag] = await sql`select
      coalesce(round(percentile_cont(0.5) within group (order by ms))::int, 0) as p50,
      coalesce(round(percentile_cont(0.99) within group (order by ms))::int, 0) as p99,
      coalesce(round(max(ms))::int, 0) as max
    from (select extract(epoch from e.processed_at - e.received_at) * 1000 as ms
      from public.traffic_amocrm_events e where e.processed_at is not null) s`;
  // Stored: the body is in traffic_amocrm_events (replayable whatever its status). Processed: its
  // lead is in traffic_leads.
  const ids = webhook.okIds.map(String);
  const [check] = await sql`select
      (select count(distinct e.payload -> 'events' -> 0 ->> 'leadId')::int
       from public.traffic_amocrm_events e
       where e.payload -> 'events' -> 0 ->> 'leadId' = any(${ids}::text[])) as stored,
      count(*)::int as processed,
      count(*) filter (where l.user_id is not null)::int as attributed
    from public.traffic_leads l where l.amocrm_lead_id = any(${webhook.okIds}::bigint[])`;
  const [status] =
    await sql`select count(*) filter (where e.status = 'processed')::int as processed,
      count(*) filter (where e.status = 'pending')::int as pending,
      count(*) filter (where e.status = 'failed')::int as failed
    from public.traffic_amocrm_events e`;
  phases.push({
    name,
    bare,
    webhook,
    answered2xx: webhook.okIds.length,
    stored: check.stored,
    processed: check.processed,
    attributed: check.attributed,
    events: { processed: status.processed, pending: status.pending, failed: status.failed },
    pendingAtEnd,
    drainedAfterMs,
    lag: { p50: lag.p50, p99: lag.p99, max: lag.max },
  });
}

try {
  await measure("empty", false, 200_000_000_000);
  await measure("volume", true, 300_000_000_000);
} finally {
  await retryDeadlock(() => clearData(sql));
  await sql`delete from public.traffic_amocrm_events`;
  await sql`delete from public.traffic_amocrm_pipelines where pipeline_id = ${PIPELINE}`;
  await sql.end();
}

console.log(`\namocrm-webhook bench: wrk, ${connections} connections, ${seconds} s per run`);
printTable(phases.flatMap((p) => [p.bare, p.webhook]));
const [empty, volume] = phases;
const ratios = {
  volume_vs_empty_rps: ratio(volume.webhook.rps, empty.webhook.rps),
  empty_vs_bare_insert_rps: ratio(empty.webhook.rps, empty.bare.rps),
  volume_vs_bare_insert_rps: ratio(volume.webhook.rps, volume.bare.rps),
  volume_vs_bare_insert_p99: ratio(volume.webhook.p99, volume.bare.p99),
  // The control: the same plumbing's own volume/empty (what the machine did between the phases).
  bare_insert_volume_vs_empty_rps: ratio(volume.bare.rps, empty.bare.rps),
};
console.log(
  `\n| | empty db | at volume |\n| --- | --- | --- |\n` +
    `| amocrm-webhook | ${empty.webhook.rps} req/s, p99 ${empty.webhook.p99} ms, ` +
    `${empty.webhook.non2xx} non-2xx | ${volume.webhook.rps} req/s, p99 ${volume.webhook.p99} ms, ` +
    `${volume.webhook.non2xx} non-2xx |\n` +
    `| bare-insert (baseline) | ${empty.bare.rps} req/s, p99 ${empty.bare.p99} ms | ` +
    `${volume.bare.rps} req/s, p99 ${volume.bare.p99} ms |`,
);
console.log(
  `ratios: volume/empty ${ratios.volume_vs_empty_rps} (goal ≥ 0.9), volume/bare-insert ` +
    `${ratios.volume_vs_bare_insert_rps} (goal ≥ 0.5), p99 at volume ${volume.webhook.p99} ms ` +
    `(goal ≤ 250); control: bare-insert volume/empty ${ratios.bare_insert_volume_vs_empty_rps}`,
);
for (const p of phases) {
  console.log(
    `${p.name}: ${p.answered2xx} bodies answered 2xx: ${p.stored} stored, ${p.processed} ` +
      `processed into leads (${p.attributed} attributed to a targetologist); events of the ` +
      `run: ${p.events.processed} processed, ${p.events.pending} pending, ` +
      `${p.events.failed} failed`,
  );
  console.log(
    `${p.name}: freshness: ${p.pendingAtEnd} bodies pending when the load stopped, none after ` +
      `${p.drainedAfterMs} ms; received → processed p50 ${p.lag.p50} ms, p99 ${p.lag.p99} ms, ` +
      `max ${p.lag.max} ms`,
  );
}
await Deno.mkdir(new URL("../bench-results/", import.meta.url), { recursive: true });
await Deno.writeTextFile(
  new URL("../bench-results/amocrm-webhook.json", import.meta.url),
  JSON.stringify(
    {
      connections,
      seconds,
      ratios,
      phases: phases.map((p) => ({
        ...p,
        bare: { ...p.bare, okIds: undefined },
        webhook: { ...p.webhook, okIds: undefined },
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
