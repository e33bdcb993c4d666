/**
 * The TypeScript steps of `npm run demo` (scripts/demo.sh runs them in order):
 *
 *   deno run -A scripts/demo/main.ts prepare   seed users + settings + pipelines, post webhooks
 *   deno run -A scripts/demo/main.ts verify    the ledger equals the one with every webhook delivered
 *   deno run -A scripts/demo/main.ts report    the dashboard table and the commands to explore
 *   deno run -A scripts/demo/main.ts summary   what the demo data should add up to (no stack)
 *
 * Reads the stack from .stack/env ($STACK_DIR/env); AMOCRM_WEBHOOK_SECRET from the environment;
 * DEMO_FB_AD_ACCOUNTS (comma-separated act_… ids) selects the real-API branch.
 *
 * @module
 */
import { DEFAULT_TIME_ZONE, localDate } from "../../supabase/functions/_shared/dates.ts";
import { userJwt } from "../lib/jwt.ts";
import { loadStackEnv } from "../lib/stack-env.ts";
import { formatTable } from "../lib/table.ts";
import { ADMIN, TEAMS } from "./data.ts";
import { demoLeads, LEAD_ID_BASE } from "./crm.ts";
import { dropped } from "./amocrm.ts";
import { postgres } from "../lib/deps.ts";
import { seedDemo } from "./seed.ts";
import { postWebhooks } from "./webhooks.ts";
import { METRICS_PATH, metricsTable, readMetrics } from "./report.ts";
import { expectedFigures } from "./summary.ts";
import { explore } from "./explore.ts";
import { dashboardUrl, signedInLink } from "./dashboard-link.ts";

const tz = Deno.env.get("TRAFFIC_TIMEZONE") || DEFAULT_TIME_ZONE;
// One instant for every step (and the fake AmoCRM API in fakes.ts): the same simulated deals.
const nowMs = Number(Deno.env.get("DEMO_NOW_MS") || Date.now());
const today = localDate(new Date(nowMs), tz);
const realAccounts = (Deno.env.get("DEMO_FB_AD_ACCOUNTS") ?? "").split(",").map((s) => s.trim())
  .filter(Boolean);

switch (Deno.args[0]) {
  case "prepare": {
    const env = loadStackEnv(["SUPABASE_URL", "SUPABASE_DB_URL"]);
    const secret = Deno.env.get("AMOCRM_WEBHOOK_SECRET");
    if (!secret) throw new Error("AMOCRM_WEBHOOK_SECRET must be set (scripts/demo.sh sets it)");
    await seedDemo(env.SUPABASE_DB_URL, realAccounts.length ? realAccounts : null);
    console.log(
      `[demo] seeded 1 admin + ${TEAMS.length} targetologists (${
        TEAMS.map((t) => t.team_name).join(", ")
      }), their settings and 3 AmoCRM pipelines`,
    );
    const leads = demoLeads(today, nowMs);
    const started = Date.now();
    const posted = await postWebhooks(env.SUPABASE_URL, secret, leads, 4, dropped);
    const events = leads.reduce((n, l) => n + l.events.length, 0);
    console.log(
      `[demo] simulated AmoCRM: ${leads.length} leads, ${events} lead events in ${posted.bodies} ` +
        `webhooks → amocrm-webhook (${
          Object.entries(posted.events).map(([k, v]) => `${v} ${k}`).join(", ")
        }) in ${Date.now() - started} ms`,
    );
    const ledger = await ledgerCheck(env.SUPABASE_DB_URL, leads);
    console.log(
      `[demo] the simulated AmoCRM dropped ${posted.dropped} of ${posted.bodies} webhooks: the ` +
        `ledger has ${ledger.actual.sales} active sales / ${ledger.actual.revenue} KZT of ` +
        `${ledger.expected.sales} / ${ledger.expected.revenue} KZT (${ledger.wrong} leads differ); ` +
        `the sync's AmoCRM reconciliation restores them`,
    );
    break;
  }
  case "verify": {
    const env = loadStackEnv(["SUPABASE_DB_URL"]);
    const ledger = await ledgerCheck(env.SUPABASE_DB_URL, demoLeads(today, nowMs));
    if (ledger.wrong === 0) {
      console.log(
        `[demo] ✅ after amocrm-sync the ledger equals the one with every webhook delivered: ` +
          `${ledger.actual.sales} active sales, ${ledger.actual.revenue} KZT, ${ledger.actual.leads} leads`,
      );
    } else {
      console.log(`[demo] ❌ ${ledger.wrong} leads still differ from every-webhook-delivered`);
      Deno.exit(1);
    }
    break;
  }
  case "report": {
    const env = loadStackEnv(["SUPABASE_URL", "SUPABASE_ANON_KEY", "SUPABASE_JWT_SECRET"]);
    const admin = await userJwt(env.SUPABASE_JWT_SECRET, {
      id: ADMIN.user_id,
      email: ADMIN.email,
      appMetadata: { traffic_role: "admin" },
    });
    const rows = await readMetrics(env.SUPABASE_URL, env.SUPABASE_ANON_KEY, admin);
    console.log(`\n📊 Traffic Dashboard — ${today} (${tz}), as the admin sees it`);
    console.log(`   read through GET ${METRICS_PATH} with the admin's JWT\n`);
    console.log(metricsTable(rows));
    await explore(env, today);
    const asAdmin = await signedInLink(env, { id: ADMIN.user_id, email: ADMIN.email, admin: true });
    const asTeam = await signedInLink(env, { id: TEAMS[0].user_id, email: TEAMS[0].email });
    console.log(`🖥  Dashboard: ${dashboardUrl(env.SUPABASE_URL)} (local session links, valid 24 h)
  as the admin (every team):
    ${asAdmin}
  as ${TEAMS[0].team_name} (their numbers only):
    ${asTeam}
`);
    break;
  }
  case "summary": {
    const rows = expectedFigures(today, demoLeads(today, nowMs)).map((e) => ({
      team: e.team_name,
      period: e.period,
      spend: Object.entries(e.spend).map(([c, v]) => `${v} ${c}`).join(" + "),
      leads: e.leads,
      sales: e.sales,
      revenue_kzt: e.revenue,
    }));
    console.log(`Demo data for ${today} (${tz}), before conversion:\n`);
    console.log(formatTable(rows));
    break;
  }
  default:
    console.error("usage: main.ts prepare | verify | report | summary");
    Deno.exit(2);
}
/**
 * The demo leads' rows against what every webhook delivered gives: each lead present, not
 * deleted, with its active sale's amount (0 when it has none).
 */
async function ledgerCheck(dbUrl: string, leads: ReturnType<typeof demoLeads>) {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    // Bodies answered "pending" (another webhook was processing a batch) are processed by the
    // function's background drain within moments; waiting for it here makes the check exact.
    await sql`select public.amocrm_drain_events(true)`;
    const rows = await sql`
      select l.amocrm_lead_id::int as id, l.status_id::int as status,
        coalesce(s.sale_amount, 0)::int as amount
      from public.traffic_leads l
      left join public.traffic_sales s on s.amocrm_lead_id = l.amocrm_lead_id and s.status = 'active'
      where l.amocrm_lead_id between ${LEAD_ID_BASE} and ${LEAD_ID_BASE + 99_999}`;
    const got = new Map(rows.map((r) => [r.id as number, r]));
    let wrong = 0;
    for (const l of leads) {
      const row = got.get(l.id);
      const status = l.events[l.events.length - 1].status;
      if (!row || row.amount !== l.amount || row.status !== status) wrong++;
    }
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    return {
      wrong,
      expected: {
        sales: leads.filter((l) => l.amount > 0).length,
        revenue: sum(leads.map((l) => l.amount)),
      },
      actual: {
        leads: rows.length,
        sales: rows.filter((r) => r.amount > 0).length,
        revenue: sum(rows.map((r) => r.amount as number)),
      },
    };
  } finally {
    await sql.end();
  }
}

// Nothing should be left running, but an open handle must not keep the demo waiting.
Deno.exit(0);
