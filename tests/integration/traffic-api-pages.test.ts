/**
 * traffic-api's pages of teams compute only their teams (review A3): `traffic_api_metrics_page`
 * (GET /metrics) and `traffic_api_metrics_range_page` (GET /metrics/range) check the page first,
 * pick the page's teams, and build rows for those teams only (plus the team total, which for
 * /metrics/range comes from the per-day totals, migration 20261207113500, as does an admin's
 * GET /daily). The work is counted, not timed: auto_explain
 * (loaded for this session only, plans sent back as notices) reports how many rows each statement
 * inside the call produced.
 */
import assert from "node:assert/strict";
import { postgres } from "../../scripts/lib/deps.ts";
import { createUser, db, stackEnv } from "../helpers/stack.ts";

const sql = db();
const TEAMS = 6;
const DAY = "2026-02-03";
const PERIODS = ["today", "7d", "30d"];

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Actual Rows": number;
  "Actual Loops": number;
  Output?: string[];
  Plans?: PlanNode[];
}
interface Explained {
  "Query Text": string;
  Plan: PlanNode;
}

/**
 * Runs `query` as an admin with auto_explain on (every statement, nested ones too, with row counts)
 * and returns its result and the plans of every statement it ran.
 */
async function explained(query: string, params: unknown[]) {
  const plans: Explained[] = [];
  const conn = postgres(stackEnv().SUPABASE_DB_URL, {
    max: 1,
    onnotice: (n) => {
      const text = String(n.message);
      const json = text.slice(text.indexOf("{"));
      if (text.includes("plan:")) plans.push(JSON.parse(json) as Explained);
    },
  });
  try {
    const admin = await createUser(sql, { admin: true });
    const result = await conn.begin(async (tx) => {
      await tx.unsafe(`load 'auto_explain'`);
      for (
        const s of [
          "auto_explain.log_min_duration = 0",
          "auto_explain.log_nested_statements = on",
          "auto_explain.log_analyze = on",
          "auto_explain.log_timing = off",
          "auto_explain.log_verbose = on",
          "auto_explain.log_format = json",
          "auto_explain.log_level = notice",
        ]
      ) await tx.unsafe(`set local ${s}`);
      await tx`select set_config('request.jwt.claims', ${
        JSON.stringify({
          sub: admin.id,
          role: "authenticated",
          app_metadata: { traffic_role: "admin" },
        })
      }, true)`;
      await tx.unsafe("set local role authenticated");
      plans.length = 0;
      const [row] = await tx.unsafe(query, params as never[]);
      return row.page as { teams_total: number; data: { user_id: string | null }[] };
    });
    return { page: result, plans };
  } finally {
    await conn.end();
  }
}

/**
 * Metrics rows shaped for the API (money rounded to text) in `plans`: the rows of each node whose
 * output is the shaped row, or, for an aggregate that shapes as it aggregates (json_agg(ROW(…))),
 * the rows it took in.
 */
function shapedRows(plans: Explained[]): number {
  let n = 0;
  const rows = (node: PlanNode) => node["Actual Rows"] * node["Actual Loops"];
  const walk = (node: PlanNode) => {
    if (node.Output?.some((o) => /\(round\([^()]*spend_usd, 2\)\)::text/.test(o))) {
      n += node["Node Type"] === "Aggregate"
        ? (node.Plans ?? []).reduce((sum, child) => sum + rows(child), 0)
        : rows(node);
    }
    node.Plans?.forEach(walk);
  };
  plans.forEach((p) => walk(p.Plan));
  return n;
}

/** Rows the scans of `table` in `plans` read. */
function rowsRead(plans: Explained[], table: string): number {
  let n = 0;
  const walk = (node: PlanNode) => {
    if (node["Relation Name"] === table) n += node["Actual Rows"] * node["Actual Loops"];
    node.Plans?.forEach(walk);
  };
  plans.forEach((p) => walk(p.Plan));
  return n;
}

const teams: string[] = [];

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({
    name: `traffic-api pages: ${name}`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn,
  });

test(`fixtures: ${TEAMS} more active teams with stored rows and a day of delivery`, async () => {
  for (let i = 0; i < TEAMS; i++) {
    const u = await createUser(sql);
    teams.push(u.id);
    const team = `Pages ${i} ${u.id.slice(0, 8)}`;
    await sql`insert into public.traffic_targetologist_settings (user_id, team_name)
      values (${u.id}, ${team})`;
    // No spend (so no exchange rate is needed): one spend rollup row per team on DAY.
    await sql`insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id,
        campaign_id, campaign_name, adset_id, adset_name, ad_id, ad_name, stat_date, spend,
        account_currency, impressions, clicks, reach)
      values (${u.id}, ${team}, ${`act_pages_${i}`}, ${`9100${i}`}, 'c', ${`9200${i}`}, 'a',
        ${`9300${i}`}, 'ad', ${DAY}, 0, 'USD', 100, 1, 50)`;
    // One lead per team on DAY (noon in Almaty).
    await sql`insert into public.traffic_leads (amocrm_lead_id, product, utm_source, user_id,
        created_at)
      values (${91_000_000 + i}, 'express', 'facebook', ${u.id}, ${`${DAY} 12:00+05`})`;
    for (const period of PERIODS) {
      await sql`insert into public.traffic_aggregated_metrics
          (user_id, team_name, period, period_start, period_end, spend_usd)
        values (${u.id}, ${team}, ${period}, ${DAY}, ${DAY}, ${i + 0.125})`;
    }
  }
});

test("fixtures: an unattributed lead on the same day", async () => {
  await sql`insert into public.traffic_leads (amocrm_lead_id, product, utm_source, created_at)
    values (91000090, 'express', 'facebook', ${`${DAY} 12:00+05`})`;
});

test("GET /metrics: a page of 1 team shapes that team's rows and the total's, not every team's", async () => {
  const { page, plans } = await explained(
    `select public.traffic_api_metrics_page($1::text[], null, 1, 0) as page`,
    [PERIODS],
  );
  assert.ok(page.teams_total >= TEAMS, `teams_total ${page.teams_total}`);
  const teams = new Set(page.data.filter((r) => r.user_id !== null).map((r) => r.user_id));
  assert.equal(teams.size, 1, "one team (and the total, when one is stored)");
  // 3 periods of one team + at most 3 of the total, whatever the number of teams.
  const shaped = shapedRows(plans);
  assert.ok(shaped > 0, "the shaped rows are seen in the plans");
  assert.ok(shaped <= 2 * PERIODS.length, `rows shaped: ${shaped} for ${page.teams_total} teams`);
});

test("GET /metrics/range: a page of 1 team builds that team's row and the total, not a row per team", async () => {
  const { page, plans } = await explained(
    `select public.traffic_api_metrics_range_page($1::date, $1::date, 'Asia/Almaty', null, 1, 0)
       as page`,
    [DAY],
  );
  assert.ok(page.teams_total >= TEAMS, `teams_total ${page.teams_total}`);
  assert.equal(page.data.length, 2, "one team and the total");
  // The statement of private.traffic_metrics_rows that builds the metrics rows: the page's team
  // and the total (from the per-day totals, 20261207113500).
  const computed = plans.filter((p) => p["Query Text"].trimStart().startsWith("with members as"));
  assert.equal(computed.length, 1, "traffic_metrics_rows ran once");
  assert.equal(
    computed[0].Plan["Actual Rows"],
    2,
    `rows computed: ${computed[0].Plan["Actual Rows"]} for ${page.teams_total} teams`,
  );
});

test("GET /metrics/range?user_id as an admin (no total): only that team's rollup rows are read", async () => {
  const { page, plans } = await explained(
    `select public.traffic_api_metrics_range_page($1::date, $1::date, 'Asia/Almaty', $2::uuid, 50, 0)
       as page`,
    [DAY, teams[0]],
  );
  assert.deepEqual(page.data.map((r) => r.user_id), [teams[0]]);
  // Every fixture team has a spend rollup row on DAY; computing every team would read them all.
  const read = rowsRead(plans, "traffic_spend_daily");
  assert.equal(read, 1, `spend rollup rows read: ${read} for one team`);
});

/** Spend rollup rows on DAY of users who are not active targetologists (what the totals' readers subtract). */
async function nonMemberSpendRows(): Promise<number> {
  const [r] = await sql`select count(*)::int as n from public.traffic_spend_daily sd
    where sd.stat_date = ${DAY} and not exists (select 1 from public.traffic_targetologist_settings s
      where s.user_id = sd.user_id and s.is_active)`;
  return r.n;
}

test("GET /metrics/range: the team total of an admin's page reads no other team's rollup rows", async () => {
  const { page, plans } = await explained(
    `select public.traffic_api_metrics_range_page($1::date, $1::date, 'Asia/Almaty', null, 1, 0)
       as page`,
    [DAY],
  );
  const total = page.data.find((r) => r.user_id === null) as { impressions: number } | undefined;
  assert.ok(total && total.impressions >= 100 * TEAMS, "the total still covers every team");
  // The page's one team, and the non-members' rows the per-day totals are reduced by; before, the
  // total read every active team's spend rows of the range (>= TEAMS here).
  const read = rowsRead(plans, "traffic_spend_daily");
  const others = await nonMemberSpendRows();
  assert.ok(read <= 1 + others, `spend rollup rows read: ${read} (1 team + ${others} non-member)`);
});

test("GET /daily as an admin reads the per-day totals, not every team's rollup rows and leads", async () => {
  const { page, plans } = await explained(
    `select json_build_object('data', json_agg(d)) as page
       from public.traffic_api_daily($1::date, $1::date, 'Asia/Almaty', null) as d`,
    [DAY],
  );
  const day = page.data[0] as unknown as { leads: number; impressions: number };
  assert.ok(day.leads >= TEAMS + 1, `leads of DAY (the unattributed one too): ${day.leads}`);
  assert.ok(day.impressions >= 100 * TEAMS, `impressions of DAY: ${day.impressions}`);
  const spend = rowsRead(plans, "traffic_spend_daily");
  const others = await nonMemberSpendRows();
  assert.ok(spend <= others, `spend rollup rows read: ${spend} (${others} non-member)`);
  assert.equal(rowsRead(plans, "traffic_leads"), 0, "no lead row read");
});

const CONVERSIONS_PER_TEAM = 4;

test("fixtures: leads and a sale per team that name the team's ad (GET /campaigns)", async () => {
  for (const [i, id] of teams.entries()) {
    for (let k = 0; k < CONVERSIONS_PER_TEAM; k++) {
      await sql`insert into public.traffic_leads (amocrm_lead_id, product, utm_source,
          utm_content, user_id, created_at)
        values (${91_000_100 + i * 10 + k}, 'express', 'facebook', ${`9300${i}`}, ${id},
          ${`${DAY} 10:00+05`})`;
    }
    await sql`insert into public.traffic_sales (amocrm_lead_id, product, sale_type, sale_amount,
        sold_at, utm_source, utm_content, user_id)
      values (${91_000_100 + i * 10}, 'express', 'full', 1000.5, ${`${DAY} 11:00+05`},
        'facebook', ${`9300${i}`}, ${id})`;
  }
});

test("GET /campaigns as an admin counts each team's leads and sale on the ad they name", async () => {
  // Attributed per request (traffic_campaign_metrics, 20261207023509 again since
  // 20261207150232): the kept per-entity rows of 20261207135500 could miss a conversion written
  // while a sync page committed its ad (review R6 M1), so they were taken out.
  const [{ page }] = await sql`select json_build_object('data', json_agg(c)) as page
    from public.traffic_api_campaigns(${DAY}::date, ${DAY}::date, 'Asia/Almaty', 'ad', null) as c`;
  const mine = (page.data as { user_id: string; leads: number; sales: number }[])
    .filter((r) => teams.includes(r.user_id));
  assert.equal(mine.length, TEAMS, "one ad per fixture team");
  assert.ok(mine.every((r) => r.leads === CONVERSIONS_PER_TEAM && r.sales === 1), "counted");
});

test("more than 1,000 user_ids are refused in SQL before any work", async () => {
  await assert.rejects(
    sql`select public.traffic_api_metrics_range_of('2026-01-01', '2026-01-01', 'Asia/Almaty',
      array(select gen_random_uuid() from generate_series(1, 1001)), true)`,
    /invalid page: limit must be 1 to 1000 teams \(got 1001\)/,
  );
});

test("the page is checked before any work", async () => {
  // An invalid page with a range that is invalid too: the page's error comes first (it used to
  // come after the range's, i.e. after the computation).
  await assert.rejects(
    sql`select public.traffic_api_metrics_range_page('2000-01-01', '2099-12-31', 'Asia/Almaty',
      null, 0, 0)`,
    /invalid page: limit must be 1 to 1000 teams/,
  );
});

test("cleanup", async () => {
  await sql`delete from public.traffic_facebook_ads_raw where user_id = any(${teams}::uuid[])`;
  await sql`delete from public.traffic_sales where amocrm_lead_id between 91000100 and 91000199`;
  await sql`delete from public.traffic_leads where amocrm_lead_id between 91000000 and 91000199`;
  await sql`delete from public.traffic_aggregated_metrics where team_name like 'Pages %'`;
  await sql`delete from public.traffic_targetologist_settings where team_name like 'Pages %'`;
  await sql.end();
});
