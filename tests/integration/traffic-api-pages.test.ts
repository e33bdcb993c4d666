/**
 * traffic-api's pages of teams compute only their teams (review A3): `traffic_api_metrics_page`
 * (GET /metrics) and `traffic_api_metrics_range_page` (GET /metrics/range) check the page first,
 * pick the page's teams, and build rows for those teams only (plus the team total). The work is
 * counted, not timed: auto_explain (loaded for this session only, plans sent back as notices)
 * reports how many rows each statement inside the call produced.
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

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({
    name: `traffic-api pages: ${name}`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn,
  });

test(`fixtures: ${TEAMS} more active teams with stored rows`, async () => {
  for (let i = 0; i < TEAMS; i++) {
    const u = await createUser(sql);
    const team = `Pages ${i} ${u.id.slice(0, 8)}`;
    await sql`insert into public.traffic_targetologist_settings (user_id, team_name)
      values (${u.id}, ${team})`;
    for (const period of PERIODS) {
      await sql`insert into public.traffic_aggregated_metrics
          (user_id, team_name, period, period_start, period_end, spend_usd)
        values (${u.id}, ${team}, ${period}, ${DAY}, ${DAY}, ${i + 0.125})`;
    }
  }
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

test("GET /metrics/range: a page of 1 team computes that team's row and the total, not every team's", async () => {
  const { page, plans } = await explained(
    `select public.traffic_api_metrics_range_page($1::date, $1::date, 'Asia/Almaty', null, 1, 0)
       as page`,
    [DAY],
  );
  assert.ok(page.teams_total >= TEAMS, `teams_total ${page.teams_total}`);
  assert.equal(page.data.length, 2, "one team and the total");
  // The statement of private.traffic_metrics_rows that builds the metrics rows.
  const computed = plans.filter((p) => p["Query Text"].trimStart().startsWith("with members as"));
  assert.equal(computed.length, 1, "traffic_metrics_rows ran once");
  assert.equal(
    computed[0].Plan["Actual Rows"],
    2,
    `rows computed: ${computed[0].Plan["Actual Rows"]} for ${page.teams_total} teams`,
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
  await sql`delete from public.traffic_aggregated_metrics where team_name like 'Pages %'`;
  await sql`delete from public.traffic_targetologist_settings where team_name like 'Pages %'`;
  await sql.end();
});
