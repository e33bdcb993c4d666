/**
 * amocrm-sync reconciling N changed leads (every webhook lost) from a loopback fake AmoCRM API
 * (tests/fakes/amocrm-api.ts, served in this process on BENCH stack port + 22), through the real
 * plumbing (gateway → function → AmoCRM client → supabase-js → PostgREST → SQL), at small data
 * and after loading a year's volume (50k ads, 2M ad-day rows, 300k leads, 30k sales —
 * bench/lib/aggregate-data.ts), so per-page work is shown independent of table sizes.
 *
 * Each lead has one status change (one event), so the expected API calls are
 * ceil(leads / 250) lead pages + ceil(events / 100) event pages + 1 webhooks check; the keyset
 * cursor re-reads the boundary second of each lead page (1 lead when updated_at differ), which is
 * reported. Wall time is set against the rate limit's minimum ((calls − 1) × 143 ms at 7 req/s)
 * and against a baseline of the same plumbing doing the least work: the same API pages fetched
 * by a bare loop at 7 req/s (no validation, no database), and an invocation on an empty account.
 *
 * Run by `npm run bench`. Writes bench-results/amocrm-sync.json; exits 1 when the restored
 * state or the call count is off.
 */
import { FakeCrm, serveFakeAmoApi } from "../tests/fakes/amocrm-api.ts";
import { clearData, generate } from "./lib/aggregate-data.ts";
import { procCpuMs } from "./lib/cpu.ts";
import { db, stackEnv } from "../tests/helpers/stack.ts";

const TOKEN = Deno.env.get("AMOCRM_ACCESS_TOKEN") ?? "";
const apiUrl = Deno.env.get("AMOCRM_API_URL");
if (!apiUrl || !TOKEN) {
  throw new Error("AMOCRM_API_URL / AMOCRM_ACCESS_TOKEN unset: run npm run bench");
}
const port = Number(new URL(apiUrl).port);
const SPACING = Math.ceil(1000 / 7);
const sql = db();
const env = stackEnv();

// The function process's CPU time (utime + stime): Edge Functions allow 2 s of CPU per request.
const stackDir = Deno.env.get("STACK_DIR") ?? new URL("../.stack", import.meta.url).pathname;
const fnPid = Number(Deno.readTextFileSync(`${stackDir}/pids/fn-amocrm-sync.pid`).trim());
if (!Deno.readTextFileSync(`/proc/${fnPid}/cmdline`).includes("amocrm-sync")) {
  throw new Error(`pid ${fnPid} is not the amocrm-sync function process`);
}
const fnCpuMs = () => procCpuMs(fnPid);

async function invoke(): Promise<Record<string, unknown>> {
  const res = await fetch(`${env.SUPABASE_URL}/functions/v1/amocrm-sync`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${env.SUPABASE_SERVICE_ROLE_KEY}`,
      apikey: env.SUPABASE_SERVICE_ROLE_KEY,
      "content-type": "application/json",
    },
    body: JSON.stringify({ triggered_by: "bench" }),
  });
  const body = await res.json();
  if (res.status !== 200) {
    throw new Error(`amocrm-sync answered ${res.status}: ${JSON.stringify(body)}`);
  }
  return body;
}

/** Fetches every page the function would, at 7 req/s, without validating or storing. */
async function bareLoop(base: string, leads: number, events: number): Promise<number> {
  const urls: string[] = [];
  for (let p = 1; p <= Math.ceil(events / 100); p++) {
    urls.push(`${base}/api/v4/events?limit=100&page=${p}&filter[created_at][from]=0`);
  }
  for (let p = 1; p <= Math.ceil(leads / 250); p++) {
    urls.push(`${base}/api/v4/leads?limit=250&page=${p}&order[updated_at]=asc`);
  }
  urls.push(`${base}/api/v4/webhooks`);
  const t0 = performance.now();
  let last = -Infinity;
  for (const u of urls) {
    const wait = last + SPACING - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    last = performance.now();
    const res = await fetch(u, { headers: { authorization: `Bearer ${TOKEN}` } });
    await res.arrayBuffer();
  }
  return performance.now() - t0;
}

interface Result {
  volume: string;
  leads: number;
  events: number;
  expectedCalls: number;
  calls: number;
  leadPages: number;
  eventPages: number;
  wallMs: number;
  minimumMs: number;
  bareMs: number;
  emptyMs: number;
  rerunMs: number;
  rerunMissed: number;
  missed: number;
  restored: number;
  fnCpuMs: number;
}

async function measure(volume: string, n: number): Promise<Result> {
  await sql`delete from private.amocrm_sync_state`;
  const crm = new FakeCrm(TOKEN, { id: "31555001", subdomain: "kaspiacademy" });
  const server = serveFakeAmoApi(crm, port);
  try {
    const t0 = performance.now();
    const empty = await invoke();
    const emptyMs = performance.now() - t0;
    if (empty.leads_read !== 0) throw new Error("the empty account returned leads");
    // Forget that run's watermarks: the measured run reads the whole (first-run) window.
    await sql`delete from private.amocrm_sync_state`;

    const pipeline = 990_000_000 + n;
    await sql`insert into public.traffic_amocrm_pipelines (pipeline_id, name, product)
      values (${pipeline}, 'bench', 'express') on conflict (pipeline_id) do nothing`;
    const now = Math.floor(Date.now() / 1000);
    const base = 970_000_000 + (volume === "small" ? (n === 250 ? 0 : 100_000) : 1_000_000);
    for (let i = 0; i < n; i++) {
      crm.create({
        id: base + i,
        at: now - 7200 + Math.floor(i / 5),
        status: 7001,
        pipeline,
        price: 1000 + i,
      });
    }
    for (let i = 0; i < n; i++) crm.setStatus(base + i, now - 3600 + Math.floor(i / 5), 142);
    crm.requests.length = 0;
    const bareMs = await bareLoop(`http://127.0.0.1:${port}`, n, n);
    crm.requests.length = 0;

    const cpu0 = fnCpuMs();
    const t1 = performance.now();
    const run = await invoke();
    const wallMs = performance.now() - t1;
    const fnCpu = fnCpuMs() - cpu0;
    const calls = run.api_calls as number;
    const leadPages = crm.requests.filter((r) => r.path === "/api/v4/leads").length;
    const eventPages = crm.requests.filter((r) => r.path === "/api/v4/events").length;
    const [{ restored }] = await sql`select count(*)::int as restored from public.traffic_sales
      where amocrm_lead_id between ${base} and ${base + n - 1} and status = 'active'`;
    const t2 = performance.now();
    const rerun = await invoke();
    const rerunMs = performance.now() - t2;
    return {
      volume,
      leads: n,
      events: n,
      expectedCalls: Math.ceil(n / 250) + Math.ceil(n / 100) + 1,
      calls,
      leadPages,
      eventPages,
      wallMs,
      minimumMs: (calls - 1) * SPACING,
      bareMs,
      emptyMs,
      rerunMs,
      rerunMissed: rerun.missed as number,
      missed: run.missed as number,
      restored,
      fnCpuMs: fnCpu,
    };
  } finally {
    await server.close();
  }
}

await sql`update cron.job set active = false where jobname = 'amocrm-sync'`;
const results: Result[] = [];
try {
  console.error("[bench] amocrm-sync, small data: 250 and 10,000 changed leads");
  results.push(await measure("small", 250));
  results.push(await measure("small", 10_000));
  console.error(
    "[bench] loading a year's volume (2M ad-day rows, 50k ads, 300k leads, 30k sales)…",
  );
  await clearData(sql);
  await generate(sql, {
    users: 1_000,
    rawRows: 2_000_000,
    leads: 300_000,
    sales: 30_000,
    days: 40,
  });
  results.push(await measure("year", 10_000));
} finally {
  await clearData(sql).catch(() => {});
  await sql`delete from private.amocrm_lead_events where amocrm_lead_id >= 970000000`;
  await sql`delete from private.amocrm_sync_state`;
  await sql.end();
}

const s = (ms: number) => (ms / 1000).toFixed(1);
console.log("\n### amocrm-sync: reconciling changed leads at 7 requests/s\n");
console.log(
  "| data | leads | events | API calls (expected) | lead / event pages | wall (s) | rate-limit minimum (s) | bare fetch loop (s) | wall / minimum | empty-account run (s) | re-run (s), missed | restored sales | function CPU (s) |",
);
console.log(
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
);
let bad = false;
for (const r of results) {
  console.log(
    `| ${r.volume} | ${r.leads.toLocaleString("en")} | ${r.events.toLocaleString("en")} | ` +
      `${r.calls} (${r.expectedCalls}) | ${r.leadPages} / ${r.eventPages} | ${s(r.wallMs)} | ` +
      `${s(r.minimumMs)} | ${s(r.bareMs)} | ${(r.wallMs / r.minimumMs).toFixed(2)}x | ` +
      `${s(r.emptyMs)} | ${s(r.rerunMs)}, ${r.rerunMissed} | ${
        r.restored.toLocaleString("en")
      } | ` +
      `${s(r.fnCpuMs)} |`,
  );
  // The keyset cursor may add at most one re-read page per 250 leads.
  if (
    r.restored !== r.leads || r.rerunMissed !== 0 || r.calls < r.expectedCalls ||
    r.calls > r.expectedCalls + Math.ceil(r.leads / 250 / 50) + 1
  ) bad = true;
}
await Deno.mkdir("bench-results", { recursive: true });
await Deno.writeTextFile("bench-results/amocrm-sync.json", JSON.stringify(results, null, 2));
if (bad) {
  console.error("amocrm-sync bench: restored state or call count off");
  Deno.exit(1);
}
