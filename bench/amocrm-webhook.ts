/**
 * Sustained AmoCRM webhook ingestion on the local stack, over loopback through the gateway:
 * requests/s and p50/p90/p99 latency of `POST /functions/v1/amocrm-webhook` with distinct,
 * realistic bodies (add → prepayment → won of many deals, each body stored and processed before
 * the answer), against two same-run baselines:
 *
 * - `gateway health`: `GET /_stack/health`, the HTTP floor of the gateway;
 * - `postgrest insert`: a bare `POST /rest/v1/traffic_amocrm_events` of the same body with the
 *   service key (store only: no parsing, no processing, no function hop).
 *
 * Environment: the stack's (`.stack/env` or `$STACK_DIR/env`), `AMOCRM_WEBHOOK_SECRET`,
 * `AMOCRM_ACCOUNT_ID`, `AMOCRM_SUBDOMAIN` (as the stack got them), `BENCH_CONCURRENCY` (16),
 * `BENCH_SECONDS` (10). Writes `bench-results/amocrm-webhook.json`. Exits 1 when a webhook request
 * failed or p99 reached AmoCRM's 2 s timeout.
 */
import { buildForm, sha256Hex } from "../supabase/functions/_shared/amocrm/mod.ts";
import { postgres } from "../scripts/lib/deps.ts";
import { loadStackEnv } from "../scripts/lib/stack-env.ts";
import { type LoadResult, printTable, runLoad } from "./lib/load.ts";

const env = loadStackEnv(["SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_DB_URL"]);
const secret = Deno.env.get("AMOCRM_WEBHOOK_SECRET") || "test-webhook-secret";
const account = {
  id: Deno.env.get("AMOCRM_ACCOUNT_ID") || "31555001",
  subdomain: Deno.env.get("AMOCRM_SUBDOMAIN") || "kaspiacademy",
};
const concurrency = Number(Deno.env.get("BENCH_CONCURRENCY") ?? 16);
const seconds = Number(Deno.env.get("BENCH_SECONDS") ?? 10);
const PIPELINE = 880_000_000 + Math.floor(Math.random() * 1_000_000);
const LEAD_BASE = 100_000_000 + Math.floor(Math.random() * 1_000) * 100_000;
const T0 = 1_718_000_000;

/** Request i: deal i/3 enters new (0), prepayment (1) or won (2); about 1.5 KB each. */
function body(i: number): string {
  const step = i % 3;
  const action = step === 0 ? "add" : "status";
  const lead = LEAD_BASE + Math.floor(i / 3);
  const utm = { UTM_SOURCE: "facebook", UTM_MEDIUM: "cpc", UTM_CAMPAIGN: `camp_${lead % 50}` };
  return buildForm({
    leads: {
      [action]: [{
        id: String(lead),
        name: `Заявка с сайта: Челлендж 3D #${lead}`,
        status_id: ["61234501", "61234502", "142"][step],
        old_status_id: step === 0 ? undefined : ["", "61234501", "61234502"][step],
        price: ["0", "50000", "150000"][step],
        responsible_user_id: "10455001",
        last_modified: String(T0 + i),
        modified_user_id: "10455001",
        created_user_id: "0",
        date_create: String(T0),
        pipeline_id: String(PIPELINE),
        account_id: account.id,
        custom_fields: [
          ...Object.entries(utm).map(([code, value], k) => ({
            id: String(971001 + k),
            name: code.toLowerCase(),
            values: [{ value }],
            code,
          })),
          { id: "972001", name: "Продукт", values: [{ value: "Челлендж 3D", enum: "1500301" }] },
        ],
        created_at: String(T0),
        updated_at: String(T0 + i),
      }],
    },
    account: { ...account, _links: { self: `https://${account.subdomain}.amocrm.ru` } },
  });
}

const base = env.SUPABASE_URL.replace(/\/+$/, "");
const webhookUrl = `${base}/functions/v1/amocrm-webhook?secret=${encodeURIComponent(secret)}`;
const formHeaders = { "content-type": "application/x-www-form-urlencoded" };
const serviceHeaders = {
  apikey: env.SUPABASE_SERVICE_ROLE_KEY,
  authorization: `Bearer ${env.SUPABASE_SERVICE_ROLE_KEY}`,
  "content-type": "application/json",
  prefer: "return=minimal",
};

async function ok(res: Response, status: number): Promise<boolean> {
  await res.arrayBuffer();
  return res.status === status;
}

const sql = postgres(env.SUPABASE_DB_URL, { max: 1, onnotice: () => {} });
await sql`insert into public.traffic_amocrm_pipelines (pipeline_id, name, product,
    prepayment_status_ids) values (${PIPELINE}, 'bench', 'challenge3d', '{61234502}')`;
const insertSalt = crypto.randomUUID();
const results: LoadResult[] = [];

results.push(
  await runLoad({
    name: "gateway health",
    concurrency,
    seconds,
    send: async () => ok(await fetch(`${base}/_stack/health`), 200),
  }),
);
results.push(
  await runLoad({
    name: "postgrest insert",
    concurrency,
    seconds,
    send: async (i) => {
      const raw = body(i);
      const res = await fetch(`${base}/rest/v1/traffic_amocrm_events`, {
        method: "POST",
        headers: serviceHeaders,
        body: JSON.stringify({
          raw_body: raw,
          body_sha256: await sha256Hex(`${insertSalt}:${i}`),
          content_type: "application/x-www-form-urlencoded",
          status: "ignored",
        }),
      });
      return ok(res, 201);
    },
  }),
);
const webhook = await runLoad({
  name: "amocrm-webhook",
  concurrency,
  seconds,
  send: async (i) =>
    ok(await fetch(webhookUrl, { method: "POST", headers: formHeaders, body: body(i) }), 200),
});
results.push(webhook);
const repeated = body(0);
results.push(
  await runLoad({
    name: "amocrm-webhook (same body)",
    concurrency,
    seconds,
    warmupSeconds: 0.2,
    send: async () =>
      ok(await fetch(webhookUrl, { method: "POST", headers: formHeaders, body: repeated }), 200),
  }),
);

const [{ stored, processed, failed, sales }] = await sql`
  select count(*)::int as stored,
    count(*) filter (where e.status = 'processed')::int as processed,
    count(*) filter (where e.status = 'failed')::int as failed,
    (select count(*)::int from public.traffic_sales s where s.pipeline_id = ${PIPELINE}) as sales
  from public.traffic_amocrm_events e
  where e.payload -> 'events' -> 0 ->> 'pipelineId' = ${String(PIPELINE)}`;
await sql.end();

const [health, insert] = results;
const ratios = {
  webhook_rps_vs_postgrest_insert: Math.round((webhook.rps / insert.rps) * 100) / 100,
  webhook_p99_vs_postgrest_insert: Math.round((webhook.p99 / insert.p99) * 100) / 100,
  webhook_rps_vs_gateway_health: Math.round((webhook.rps / health.rps) * 100) / 100,
};
console.log(`amocrm-webhook bench: ${concurrency} connections, ${seconds} s per run, loopback`);
printTable(results);
console.log(
  `ratios: webhook/insert rps ${ratios.webhook_rps_vs_postgrest_insert}, ` +
    `webhook/insert p99 ${ratios.webhook_p99_vs_postgrest_insert}, ` +
    `webhook/health rps ${ratios.webhook_rps_vs_gateway_health}`,
);
console.log(`stored ${stored} bodies: ${processed} processed, ${failed} failed; ${sales} sales`);

await Deno.mkdir(new URL("../bench-results/", import.meta.url), { recursive: true });
await Deno.writeTextFile(
  new URL("../bench-results/amocrm-webhook.json", import.meta.url),
  JSON.stringify(
    { concurrency, seconds, results, ratios, stored, processed, failed, sales },
    null,
    2,
  ) + "\n",
);

if (webhook.errors > 0 || webhook.p99 >= 2000 || failed > 0) {
  console.error("FAIL: webhook errors, failed events, or p99 at AmoCRM's 2 s timeout");
  Deno.exit(1);
}
