/**
 * traffic-api's cache check is per team (migration 20261207114917): `traffic_api_check`
 * (20261208030500; `traffic_api_changed_since` before),
 * called through PostgREST as each caller, answers "changed" to a targetologist only for a write
 * of their own team's rows or a global one (rates), and to an admin for any write. Before, any
 * writing transaction was a change for every caller: a webhook of team A made every cached body
 * of team B a miss. The aggregation run is held off meanwhile (it would write every active team's
 * stored rows).
 */
import assert from "node:assert/strict";
import { createUser, db, type TestUser } from "../helpers/stack.ts";

const sql = db();
const RUN_LOCK = "public.traffic_aggregate_metrics";
const base = 8_100_000_000 + Math.floor(Math.random() * 1_000_000_000);
const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({
    name: `traffic-api change log per team: ${name}`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn,
  });

let a: TestUser, b: TestUser, admin: TestUser;

async function check(u: TestUser, snapshot: string | null) {
  // traffic-api's check, as it calls it: one row (a function returning rows, so that PostgreSQL
  // inlines it: 20261208030500).
  const { data, error } = await u.client.rpc("traffic_api_check", {
    p_snapshot: snapshot,
  }).single();
  assert.equal(error, null, JSON.stringify(error));
  return data as { changed: boolean; snapshot: string };
}

/** Each caller's snapshot, then `write`, then whether each caller's check says "changed". */
async function seenBy(write: () => Promise<unknown>) {
  const callers = { a, b, admin };
  const snaps = Object.fromEntries(
    await Promise.all(
      Object.entries(callers).map(async ([k, u]) => [k, (await check(u, null)).snapshot]),
    ),
  );
  await write();
  const out: Record<string, boolean> = {};
  for (const [k, u] of Object.entries(callers)) out[k] = (await check(u, snaps[k])).changed;
  return out;
}

test("a write is a change for its own team and admins, not for another team", async () => {
  a = await createUser(sql);
  b = await createUser(sql);
  admin = await createUser(sql, { admin: true });
  const own = await sql.reserve();
  await own`select pg_advisory_lock(hashtext(${RUN_LOCK}))`;
  try {
    // B's settings (inactive: no aggregation run writes B's rows).
    assert.deepEqual(
      await seenBy(() =>
        sql`insert into traffic_targetologist_settings (user_id, team_name, is_active)
          values (${b.id}, ${`per-team ${base}`}, false)`
      ),
      { a: false, b: true, admin: true },
      "B's settings row",
    );
    assert.deepEqual(
      await seenBy(() =>
        sql`insert into traffic_leads (amocrm_lead_id, user_id, created_at)
          values (${base + 1}, ${a.id}, now())`
      ),
      { a: true, b: false, admin: true },
      "A's lead (a webhook)",
    );
    assert.deepEqual(
      await seenBy(() =>
        sql`insert into traffic_leads (amocrm_lead_id, created_at) values (${base + 2}, now())`
      ),
      { a: false, b: false, admin: true },
      "an unattributed lead: only admins' answers show it",
    );
    assert.deepEqual(
      await seenBy(() =>
        sql`update traffic_leads set user_id = ${b.id} where amocrm_lead_id = ${base + 1}`
      ),
      { a: true, b: true, admin: true },
      "A's lead re-attributed to B: both teams",
    );
    assert.deepEqual(
      await seenBy(() =>
        sql`insert into traffic_facebook_ads_raw (user_id, account_id, campaign_id, ad_id,
            stat_date)
          values (${b.id}, 'act_pt', 'c', ${`ad-pt-${base}`}, '2000-01-01')`
      ),
      { a: false, b: true, admin: true },
      "B's raw ad row (a sync page)",
    );
    assert.deepEqual(
      await seenBy(() =>
        sql`insert into traffic_aggregated_metrics (user_id, team_name, period, period_start,
            period_end)
          values (${a.id}, 'x', '7d', '2000-01-01', '2000-01-07')`
      ),
      { a: true, b: false, admin: true },
      "A's stored metrics row",
    );
    assert.deepEqual(
      await seenBy(() =>
        sql`insert into exchange_rates (rate_date, currency, rate_kzt, source)
          values ('2000-01-03', 'GBP', 600, 'per-team test')`
      ),
      { a: true, b: true, admin: true },
      "a rate: every team",
    );
    assert.deepEqual(
      await seenBy(() =>
        sql.begin(async (tx) => {
          await tx`insert into traffic_leads (amocrm_lead_id, user_id, created_at)
            values (${base + 3}, ${a.id}, now())`;
          await tx`delete from exchange_rates where source = 'per-team test'`;
        })
      ),
      { a: true, b: true, admin: true },
      "a transaction writing a team's row and then a rate: global",
    );
  } finally {
    await own`select pg_advisory_unlock(hashtext(${RUN_LOCK}))`;
    own.release();
  }
});

test("cleanup", async () => {
  await sql`delete from traffic_aggregated_metrics where user_id = ${a.id}`;
  await sql`delete from traffic_facebook_ads_raw where user_id = ${b.id}`;
  await sql`delete from traffic_leads where amocrm_lead_id between ${base} and ${base + 9}`;
  await sql`delete from traffic_targetologist_settings where user_id = ${b.id}`;
  await sql.end();
});
