/**
 * `deno run -A bench/micro/webhook-sql.ts <label>=<db url>:<ads> ...`: the webhook's SQL alone, on
 * one connection, per body: the store (`amocrm_receive_event` with p_process false, as a request
 * under load calls it) and the drain (`amocrm_drain_events(true)`: every pending body in batches),
 * on several stacks in alternating rounds (e.g. one empty, one at a year's volume), with the CPU
 * time of the connection's backend from /proc (the machine's load moves it far less than wall
 * time). <ads> is `directory` (ads sampled from private.traffic_ad_directory: attributed leads) or
 * `unknown` (ids nobody has). pg_cron jobs are paused on every stack during the rounds (restored
 * at the end). Env: ROUNDS (5), BODIES (400 per round). Not run by `npm run bench`.
 */
import { parseWebhook } from "../../supabase/functions/_shared/amocrm/mod.ts";
import { sha256Hex } from "../../supabase/functions/_shared/hash.ts";
import { storable } from "../../supabase/functions/amocrm-webhook/body.ts";
import { postgres } from "../../scripts/lib/deps.ts";
import { cpuMs } from "../lib/cpu.ts";
import { median } from "../lib/load.ts";
import { fillWebhookBody, webhookBodyTemplate } from "../lib/webhook-body.ts";

const rounds = Number(Deno.env.get("ROUNDS") ?? 5);
const bodies = Number(Deno.env.get("BODIES") ?? 400);
const PIPELINE = 880_500_000;

const template = webhookBodyTemplate(PIPELINE, { id: "31555001", subdomain: "kaspiacademy" });
const body = (leadId: number, ad: string) =>
  fillWebhookBody(template, leadId, ad, 1_718_000_000 + (leadId % 1000));

const cpuMsOf = (pid: number) => cpuMs({ backend: pid }).backend;

interface Target {
  label: string;
  sql: ReturnType<typeof postgres>;
  /** Holds the drain lock while the bodies are stored, so they stay pending for the drain. */
  locker: ReturnType<typeof postgres>;
  alone: { cpu: number[]; wall: number[] };
  pid: number;
  ads: string[];
  paused: number[];
  store: { cpu: number[]; wall: number[] };
  drain: { cpu: number[]; wall: number[] };
}

const targets: Target[] = [];
for (const arg of Deno.args) {
  const m = arg.match(/^([^=]+)=(.+):(directory|unknown)$/);
  if (!m) throw new Error(`bad argument ${arg}: label=url:directory|unknown`);
  const sql = postgres(m[2], { max: 1, onnotice: () => {} });
  const [{ pid }] = await sql`select pg_backend_pid() as pid`;
  const ads = m[3] === "directory"
    ? (await sql`select ad_id from private.traffic_ad_directory order by md5(ad_id) limit 5000`)
      .map((r) => r.ad_id as string)
    : ["nobody_1", "nobody_2"];
  await sql`insert into public.traffic_amocrm_pipelines (pipeline_id, name, product,
      prepayment_status_ids) values (${PIPELINE}, 'bench', 'challenge3d', '{61234502}')
    on conflict do nothing`;
  const paused = (await sql`update cron.job set active = false where active returning jobid`)
    .map((r) => r.jobid as number);
  targets.push({
    label: m[1],
    sql,
    locker: postgres(m[2], { max: 1, onnotice: () => {} }),
    alone: { cpu: [], wall: [] },
    pid,
    ads,
    paused,
    store: { cpu: [], wall: [] },
    drain: { cpu: [], wall: [] },
  });
}

let next = 700_000_000_000 + Math.floor(Math.random() * 1_000_000) * 10_000;
try {
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? targets : [...targets].reverse();
    for (const t of order) {
      // The bodies, parsed and hashed as the function does (outside the timed part).
      const inputs: { raw: string; sha: string; payload: unknown }[] = [];
      const lone = Math.max(1, Math.round(bodies / 4));
      for (let i = 0; i < bodies + lone; i++) {
        const id = next++;
        const raw = body(id, t.ads[id % t.ads.length]);
        const parsed = parseWebhook(raw);
        if (!parsed.ok) throw new Error(parsed.error);
        inputs.push({ raw, sha: await sha256Hex(raw), payload: storable(parsed.webhook) });
      }
      const receive = (b: (typeof inputs)[number], process: boolean) =>
        t.sql`select public.amocrm_receive_event(${b.raw}, 'application/x-www-form-urlencoded',
          ${b.sha}, ${
          t.sql.json(b.payload as Parameters<typeof t.sql.json>[0])
        }, '31555001', 'kaspiacademy', 1, ${process}) as r`;
      // A lone webhook: stored and processed by its own call (nothing else pending).
      let c0 = cpuMsOf(t.pid);
      let w0 = performance.now();
      for (const b of inputs.slice(bodies)) {
        const [{ r }] = await receive(b, true);
        if (r.status !== "processed") throw new Error(`lone body not processed: ${r.status}`);
      }
      t.alone.cpu.push((cpuMsOf(t.pid) - c0) / lone);
      t.alone.wall.push((performance.now() - w0) / lone);
      // Under load: stored only (a drainer is busy: the lock is held), then drained.
      let stored = 0;
      await t.locker.begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(private.amocrm_drain_lock_key())`;
        c0 = cpuMsOf(t.pid);
        w0 = performance.now();
        for (const b of inputs.slice(0, bodies)) {
          const [{ r }] = await receive(b, false);
          if (r.status === "pending") stored++;
        }
        t.store.cpu.push((cpuMsOf(t.pid) - c0) / bodies);
        t.store.wall.push((performance.now() - w0) / bodies);
      });
      if (stored !== bodies) throw new Error(`${bodies - stored} bodies were not left pending`);
      if (Deno.env.get("PSS") === "1") await t.sql`select pg_stat_statements_reset()`;
      c0 = cpuMsOf(t.pid);
      w0 = performance.now();
      const [{ d }] = await t.sql`select public.amocrm_drain_events(true) as d`;
      if (Deno.env.get("PSS") === "1" && r === rounds - 1) {
        const top = await t.sql`select calls, round(total_exec_time::numeric, 2) as ms,
            shared_blks_hit + shared_blks_read as blks, rows,
            left(regexp_replace(query, '\s+', ' ', 'g'), 100) as q
          from pg_stat_statements order by total_exec_time desc limit 16`;
        for (const x of top) {
          console.log(`  ${t.label} ${x.calls} ${x.ms} ms ${x.blks} blks ${x.rows} rows  ${x.q}`);
        }
      }
      t.drain.cpu.push((cpuMsOf(t.pid) - c0) / bodies);
      t.drain.wall.push((performance.now() - w0) / bodies);
      const [{ pending }] = await t.sql`select count(*)::int as pending
        from public.traffic_amocrm_events where status = 'pending'`;
      console.log(
        `round ${r + 1} ${t.label}: alone ${t.alone.wall.at(-1)!.toFixed(3)} ms wall, ${
          t.alone.cpu.at(-1)!.toFixed(3)
        } ms CPU; store ${t.store.wall.at(-1)!.toFixed(3)} ms wall, ${
          t.store.cpu.at(-1)!.toFixed(3)
        } ms CPU per body; drain ${t.drain.wall.at(-1)!.toFixed(3)} ms wall, ${
          t.drain.cpu.at(-1)!.toFixed(3)
        } ms CPU per body (${JSON.stringify(d)}; ${pending} left pending); load ${
          Deno.loadavg()[0]
        }`,
      );
    }
  }
} finally {
  for (const t of targets) {
    await t.sql`update cron.job set active = true where jobid = any(${t.paused})`;
  }
}
for (const t of targets) {
  const f = (xs: number[]) => median(xs).toFixed(3);
  console.log(
    `${t.label}: medians of ${rounds} rounds of ${bodies} bodies: alone ${
      f(t.alone.wall)
    } ms wall / ${f(t.alone.cpu)} ms CPU; store ${f(t.store.wall)} ms wall / ${
      f(t.store.cpu)
    } ms CPU; drain ${f(t.drain.wall)} ms wall / ${f(t.drain.cpu)} ms CPU per body`,
  );
  await t.sql.end();
  await t.locker.end();
}
