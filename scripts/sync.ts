/**
 * `npm run sync`: the manual traffic sync (the seed's manual-traffic-sync). Invokes `fb-ads-sync`
 * once per targetologist (live progress per user), then `aggregate-metrics`, through supabase-js
 * `functions.invoke` with the service key, and records the whole run in `traffic_sync_history`
 * as `sync_type = 'full'`.
 *
 * Against the local stack by default (.stack/env); against a real project when SUPABASE_URL and a
 * service key (SUPABASE_SECRET_KEY, sb_secret_…, or the legacy SUPABASE_SERVICE_ROLE_KEY) are set.
 * Exits 1 when any step failed, 2 on bad arguments.
 *
 *   npm run sync -- [--days N] [--user <id or team name>] [--skip-facebook] [--skip-amocrm]
 *                   [--skip-aggregation]
 */
import { parseArgs } from "node:util";
import { createServiceClient } from "../supabase/functions/_shared/supabase.ts";
import { loadStackEnv, serviceKeyFromEnv } from "./lib/stack-env.ts";
import { invoke, type Invoked } from "./lib/invoke.ts";
import { formatKzt, formatRoas } from "./lib/format.ts";
import { addDays, DEFAULT_TIME_ZONE, localDate } from "../supabase/functions/_shared/dates.ts";

const usage = "usage: npm run sync -- [--days N] [--user <id or team name>] " +
  "[--skip-facebook] [--skip-amocrm] [--skip-aggregation]\n" +
  "Runs fb-ads-sync per targetologist, amocrm-sync, then aggregate-metrics, and records a 'full'\n" +
  "run. Local stack by default; a project with SUPABASE_URL and SUPABASE_SECRET_KEY (sb_secret_…)\n" +
  "or the legacy SUPABASE_SERVICE_ROLE_KEY set.";

let args;
try {
  args = parseArgs({
    args: Deno.args,
    options: {
      days: { type: "string", default: "30" },
      user: { type: "string" },
      "skip-facebook": { type: "boolean", default: false },
      "skip-amocrm": { type: "boolean", default: false },
      "skip-aggregation": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  }).values;
} catch (err) {
  console.error(`${err instanceof Error ? err.message : err}\n${usage}`);
  Deno.exit(2);
}
if (args.help) {
  console.log(usage);
  Deno.exit(0);
}
if (args["skip-facebook"] && args["skip-amocrm"] && args["skip-aggregation"]) {
  // Every step skipped: a run would do nothing and still be recorded as a successful `full` sync.
  console.error(
    "Nothing to do: --skip-facebook, --skip-amocrm and --skip-aggregation skip every step " +
      `(no run recorded).\n${usage}`,
  );
  Deno.exit(2);
}
const days = Number(args.days);
if (!Number.isInteger(days) || days < 1 || days > 93) {
  console.error(`--days must be a whole number from 1 to 93 (got ${args.days})\n${usage}`);
  Deno.exit(2);
}

let env, serviceKey;
try {
  env = loadStackEnv(["SUPABASE_URL"]);
  serviceKey = serviceKeyFromEnv();
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  Deno.exit(2);
}
const tz = Deno.env.get("TRAFFIC_TIMEZONE") || DEFAULT_TIME_ZONE;
const supabase = createServiceClient(env.SUPABASE_URL, serviceKey.key);
const line = "═".repeat(59);
const started = Date.now();
const failures: string[] = [];
let recordsSynced = 0;
let metricsWritten = 0;

console.log(`🚀 MANUAL TRAFFIC SYNC\n${line}\n`);

type Target = { user_id: string; team_name: string };
const { data: settings, error: settingsError } = await supabase
  .from("traffic_targetologist_settings")
  .select("user_id, team_name, fb_ad_accounts")
  .eq("is_active", true)
  .order("team_name");
if (settingsError) {
  console.error(`❌ Could not read traffic_targetologist_settings: ${settingsError.message}`);
  Deno.exit(1);
}
let targets: (Target & { fb_ad_accounts: string[] })[] = settings ?? [];
if (args.user) {
  const wanted = args.user.toLowerCase();
  targets = targets.filter((t) => t.user_id === args.user || t.team_name.toLowerCase() === wanted);
  if (targets.length === 0) {
    console.error(`❌ No active targetologist with id or team name "${args.user}"`);
    Deno.exit(2);
  }
}

const { data: history } = await supabase.from("traffic_sync_history").insert({
  sync_type: "full",
  triggered_by: "manual",
  user_id: targets.length === 1 && args.user ? targets[0].user_id : null,
  details: { days, user: args.user ?? null, steps: [] },
}).select("id").single();

const steps: Record<string, unknown>[] = [];

if (!args["skip-facebook"]) {
  console.log("[Manual] 1️⃣ Facebook Ads Sync...");
  console.log("[FB Sync] 🔄 Starting Facebook Ads sync...");
  const today = localDate(new Date(), tz);
  console.log(`[FB Sync] Period: ${addDays(today, -(days - 1))} to ${today}`);
  const withAccounts = targets.filter((t) => t.fb_ad_accounts.length > 0);
  console.log(`[FB Sync] 📥 Found ${withAccounts.length} users`);
  const fbStarted = Date.now();
  let fbFailed = 0;
  for (const t of withAccounts) {
    console.log(`[FB Sync] Processing ${t.team_name}...`);
    const res = await invoke(supabase, "fb-ads-sync", { user_id: t.user_id, days });
    const user = fbUser(res);
    if (
      res.ok && user && !["failed", "partial", "token_invalid", "no_token"].includes(user.outcome)
    ) {
      recordsSynced += user.rows;
      const note = user.outcome === "ok" ? "" : ` (${user.outcome})`;
      const retries = (user.accounts ?? []).reduce((n, a) => n + (a.retries ?? 0), 0);
      const waited = (user.accounts ?? []).reduce((n, a) => n + (a.waited_ms ?? 0), 0);
      const slow = retries
        ? ` (${retries} ${
          retries === 1 ? "retry" : "retries"
        } after throttling/errors, waited ${waited}ms)`
        : "";
      console.log(`[FB Sync] ${t.team_name} - Stored ${user.rows} insights${note}${slow}`);
      for (const w of user.warnings ?? []) console.log(`[FB Sync] ⚠️ ${t.team_name}: ${w}`);
    } else {
      fbFailed++;
      recordsSynced += user?.rows ?? 0;
      const why = user?.errors?.join("; ") || user?.outcome || res.message;
      failures.push(`${t.team_name}: Facebook sync ${user?.outcome ?? "failed"} — ${why}`);
      console.log(`[FB Sync] ❌ ${t.team_name} - ${why}`);
    }
    steps.push({
      step: "facebook_ads",
      user_id: t.user_id,
      status: res.status,
      outcome: user?.outcome,
    });
  }
  const took = Date.now() - fbStarted;
  console.log(
    `[FB Sync] ${fbFailed ? "⚠️" : "✅"} Complete: ${recordsSynced} records synced in ${took}ms` +
      (fbFailed ? ` (${fbFailed} users failed)` : ""),
  );
  console.log(
    `[Manual] ${
      fbFailed ? "⚠️ Facebook Ads Sync finished with errors" : "✅ Facebook Ads Sync complete"
    }\n`,
  );
}

// The reconciliation with AmoCRM (amocrm-sync) before the aggregation, so the numbers include
// what the webhooks missed. One run covers the whole account (not per user).
if (!args["skip-amocrm"]) {
  console.log("[Manual] 🔁 AmoCRM reconciliation...");
  const res = await invoke(supabase, "amocrm-sync", { triggered_by: "manual" });
  const body = res.body as {
    leads_read?: number;
    events_read?: number;
    leads_changed?: number;
    sales_changed?: number;
    missed?: number;
    api_calls?: number;
    partial?: boolean;
    warnings?: string[];
    error?: { code?: string; message?: string } | null;
  } | null;
  steps.push({
    step: "amocrm",
    status: res.status,
    missed: body?.missed,
    leads_changed: body?.leads_changed,
    sales_changed: body?.sales_changed,
  });
  if (res.status === 503 && body?.error?.code === "not_configured") {
    console.log("[AmoCRM] ⏭️ not configured (AMOCRM_ACCESS_TOKEN unset): skipped\n");
  } else if (!res.ok || !body || body.error) {
    const why = body?.error?.message ?? res.message;
    failures.push(`AmoCRM reconciliation: ${why}`);
    console.log(`[AmoCRM] ❌ ${why}\n`);
  } else {
    recordsSynced += (body.leads_read ?? 0) + (body.events_read ?? 0);
    console.log(
      `[AmoCRM] ✅ ${body.leads_read} changed leads and ${body.events_read} events read in ` +
        `${body.api_calls} API calls: ${body.leads_changed} leads and ${body.sales_changed} ` +
        `sales changed, ${body.missed} restored that the webhooks missed` +
        (body.partial ? " (stopped at its deadline; the next run resumes)" : ""),
    );
    for (const w of body.warnings ?? []) console.log(`[AmoCRM] ⚠️ ${w}`);
    console.log("");
  }
}

if (!args["skip-aggregation"]) {
  console.log("[Manual] 2️⃣ Metrics Aggregation...");
  console.log("[Aggregation] 🔄 Starting metrics aggregation...");
  const aggStarted = Date.now();
  // A scheduled run may hold the aggregation's lease (409 run_in_progress): it finishes in
  // seconds, so wait for it rather than fail the manual sync (at most ~60 s).
  let res = await invoke(supabase, "aggregate-metrics", { triggered_by: "manual" });
  for (let waited = 0; isRunInProgress(res) && waited < 60_000; waited += 3_000) {
    if (waited === 0) console.log("[Aggregation] ⏳ another run is in progress; waiting for it...");
    await new Promise((r) => setTimeout(r, 3_000));
    res = await invoke(supabase, "aggregate-metrics", { triggered_by: "manual" });
  }
  steps.push({ step: "aggregation", status: res.status, body: res.body });
  if (!res.ok) {
    failures.push(`aggregation: ${res.message}`);
    console.log(`[Aggregation] ❌ ${res.message}`);
  } else {
    const { data: rows, error } = await supabase
      .from("traffic_aggregated_metrics")
      .select("user_id, team_name, period, total_revenue, roas")
      .order("team_name");
    if (error) failures.push(`reading metrics: ${error.message}`);
    const shown = (rows ?? []).filter((r) =>
      !args.user || targets.some((t) => t.user_id === r.user_id)
    );
    const users = new Set(shown.filter((r) => r.user_id).map((r) => r.user_id));
    console.log(`[Aggregation] 📥 Found ${users.size} users`);
    const order = ["today", "7d", "30d"];
    shown.sort((a, b) =>
      (a.user_id ? 0 : 1) - (b.user_id ? 0 : 1) || a.team_name.localeCompare(b.team_name) ||
      order.indexOf(a.period) - order.indexOf(b.period)
    );
    for (const r of shown) {
      console.log(
        `[Aggregation] ✅ ${r.team_name} (${r.period}) - Revenue: ${formatKzt(r.total_revenue)}, ` +
          `ROAS: ${formatRoas(r.roas)}`,
      );
    }
    metricsWritten = Number((res.body as { rows_written?: number })?.rows_written ?? shown.length);
    for (const w of (res.body as { warnings?: string[] })?.warnings ?? []) {
      console.log(`[Aggregation] ⚠️ ${w}`);
    }
    console.log(
      `[Aggregation] ✅ Complete: ${metricsWritten} metrics updated in ${
        Date.now() - aggStarted
      }ms`,
    );
    console.log("[Manual] ✅ Metrics Aggregation complete\n");
  }
}

const duration = Date.now() - started;
if (history?.id) {
  await supabase.from("traffic_sync_history").update({
    finished_at: new Date().toISOString(),
    success: failures.length === 0,
    users_processed: targets.length,
    records_synced: recordsSynced,
    duration_ms: duration,
    error_message: failures.length ? failures.join("; ").slice(0, 2000) : null,
    details: { days, user: args.user ?? null, metrics_written: metricsWritten, steps },
  }).eq("id", history.id);
}

if (failures.length === 0) {
  console.log(`✅ SYNC COMPLETE in ${duration}ms`);
} else {
  console.log(`❌ SYNC FINISHED WITH ${failures.length} FAILURE(S) in ${duration}ms`);
  for (const f of failures) console.log(`  - ${f}`);
  Deno.exit(1);
}

type FbUser = {
  outcome: string;
  rows: number;
  warnings?: string[];
  errors?: string[];
  accounts?: { retries?: number; waited_ms?: number }[];
};
function fbUser(res: Invoked): FbUser | undefined {
  const users = (res.body as { users?: FbUser[] } | null)?.users;
  return Array.isArray(users) ? users[0] : undefined;
}

/** The aggregation answered that another run holds its lease. */
function isRunInProgress(res: { status: number; body: unknown }): boolean {
  return res.status === 409 &&
    (res.body as { error?: { code?: string } } | null)?.error?.code === "run_in_progress";
}
