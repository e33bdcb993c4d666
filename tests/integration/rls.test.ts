/**
 * Row level security seen through supabase-js with real JWTs, as the dashboard and the functions
 * see it: user A never sees user B's rows, an admin sees every team, anon gets nothing, and the
 * Facebook token is write-only. (supabase/tests/database/ proves the same in SQL, cell by cell.)
 */
import assert from "node:assert/strict";
import { anonClient, createUser, db, serviceClient, type TestUser } from "../helpers/stack.ts";

const sql = db();
const opts = { sanitizeResources: false, sanitizeOps: false };

/**
 * Tables and views that carry a user_id, and whose rows the fixture puts in each: A sold
 * challenge3d, B express, and an intensive1d sale is unattributed ("none").
 */
type Owner = "a" | "b" | "none";
const OWNED: Record<string, Owner[]> = {
  traffic_targetologist_settings: ["a", "b"],
  traffic_facebook_ads_raw: ["a", "b"],
  traffic_leads: ["a", "b"],
  traffic_sales: ["a", "b", "none"],
  challenge3d_sales: ["a"],
  express_course_sales: ["b"],
  intensive1d_sales: ["none"],
  traffic_aggregated_metrics: ["a", "b"],
  traffic_sync_history: ["a", "b"],
};
const OTHERS = [
  "traffic_amocrm_events",
  "traffic_amocrm_pipelines",
  "exchange_rates",
  "traffic_sync_locks",
];

// Ids no other test uses, so counts ignore whatever else is in the database.
const base = 7_000_000_000 + Math.floor(Math.random() * 1_000_000_000);
const lead = (n: number) => base + n;
let a: TestUser, b: TestUser, admin: TestUser;

/** One row per user in every owned table (A: challenge3d, B: express) plus an unattributed sale. */
async function seed() {
  a = await createUser(sql);
  b = await createUser(sql);
  admin = await createUser(sql, { admin: true });
  for (const [i, u, product] of [[1, a, "challenge3d"], [2, b, "express"]] as const) {
    await sql`insert into traffic_targetologist_settings (user_id, team_name, facebook_access_token)
      values (${u.id}, ${"team " + i}, ${"EAA-secret-" + i})`;
    await sql`insert into traffic_facebook_ads_raw (user_id, account_id, campaign_id, ad_id, stat_date)
      values (${u.id}, 'act_rls', 'c', ${`ad-rls-${base}-${i}`}, '2000-01-01')`;
    // The lead and its sale carry the ad's id, so a re-attribution (the aggregation's, pg_cron may run it
    // mid-file) gives it to the same team instead of to nobody.
    await sql`insert into traffic_leads (amocrm_lead_id, user_id, utm_content, created_at)
      values (${lead(i)}, ${u.id}, ${`ad-rls-${base}-${i}`}, now())`;
    await sql`insert into traffic_sales (amocrm_lead_id, user_id, utm_content, product, sale_type, sold_at)
      values (${lead(i)}, ${u.id}, ${`ad-rls-${base}-${i}`}, ${product}, 'full', now())`;
    await sql`insert into traffic_aggregated_metrics (user_id, team_name, period, period_start, period_end)
      values (${u.id}, ${"team " + i}, '7d', '2000-01-01', '2000-01-07')`;
    await sql`insert into traffic_sync_history (sync_type, user_id, triggered_by)
      values ('facebook_ads', ${u.id}, 'rls-test')`;
  }
  await sql`insert into traffic_sales (amocrm_lead_id, product, sale_type, sold_at)
    values (${lead(3)}, 'intensive1d', 'full', now())`;
}

/** Rows of `table` belonging to A or B (or unattributed rows of this test) as `user` sees them. */
async function visible(user: TestUser, table: string): Promise<(string | null)[]> {
  const mine = `user_id.in.(${a.id},${b.id})`;
  const filter = table.includes("sales") ? `${mine},amocrm_lead_id.eq.${lead(3)}` : mine;
  const r = await user.client.from(table).select("user_id").or(filter);
  assert.equal(r.error, null, `${table}: ${r.error?.message}`);
  return r.data.map((row: { user_id: string | null }) => row.user_id);
}

/**
 * Whose fixture rows of `table` `user` can see, sorted, each owner once: an aggregation run that
 * pg_cron starts mid-file rewrites a team's stored metrics as one row per period, which changes
 * how many rows a team has but not whose they are.
 */
async function seen(user: TestUser, table: string): Promise<Owner[]> {
  const ids = await visible(user, table);
  const owners = ids.map((id): Owner => id === a.id ? "a" : id === b.id ? "b" : "none");
  return [...new Set(owners)].sort();
}

Deno.test({
  ...opts,
  name: "rls: user A never sees user B's rows, on every table and view",
  fn: async () => {
    await seed();
    for (const [table, owners] of Object.entries(OWNED)) {
      assert.deepEqual(await seen(a, table), owners.filter((o) => o === "a"), `A on ${table}`);
      assert.deepEqual(await seen(b, table), owners.filter((o) => o === "b"), `B on ${table}`);
    }
  },
});

Deno.test({
  ...opts,
  name: "rls: an admin sees every team's rows, unattributed sales included",
  fn: async () => {
    for (const [table, owners] of Object.entries(OWNED)) {
      assert.deepEqual(await seen(admin, table), owners, `admin on ${table}`);
    }
  },
});

Deno.test({
  ...opts,
  name: "rls: anon gets permission denied on every table and view",
  fn: async () => {
    for (const table of [...Object.keys(OWNED), ...OTHERS]) {
      const r = await anonClient().from(table).select("*").limit(1);
      assert.equal(r.error?.code, "42501", table);
      assert.equal(r.data, null, table);
    }
  },
});

Deno.test({
  ...opts,
  name: "rls: raw CRM events are admin-only, locks are service-only",
  fn: async () => {
    const sha = `rls-${base}`;
    await sql`insert into traffic_amocrm_events (raw_body, body_sha256) values ('x', ${sha})`;
    const byUser = await a.client.from("traffic_amocrm_events").select("id").eq("body_sha256", sha);
    assert.deepEqual(byUser.data, []);
    const byAdmin = await admin.client.from("traffic_amocrm_events").select("id").eq(
      "body_sha256",
      sha,
    );
    assert.equal(byAdmin.data?.length, 1);
    const locks = await admin.client.from("traffic_sync_locks").select("lock_key");
    assert.equal(locks.error?.code, "42501");
    await sql`delete from traffic_amocrm_events where body_sha256 = ${sha}`;
  },
});

Deno.test({
  ...opts,
  name: "rls: the Facebook token is never returned, not to its owner nor to an admin",
  fn: async () => {
    for (const user of [a, admin]) {
      const star = await user.client.from("traffic_targetologist_settings").select("*");
      assert.equal(star.error?.code, "42501", "select=* fails instead of leaking the token");
      assert.equal(star.data, null);
      const explicit = await user.client.from("traffic_targetologist_settings")
        .select("user_id, facebook_access_token");
      assert.equal(explicit.error?.code, "42501");
      const probe = await user.client.from("traffic_targetologist_settings").select("user_id")
        .like("facebook_access_token", "EAA%");
      assert.equal(probe.error?.code, "42501", "nor can it be probed through a filter");
    }
    const svc = await serviceClient().from("traffic_targetologist_settings")
      .select("facebook_access_token").eq("user_id", a.id).single();
    assert.equal(svc.data?.facebook_access_token, "EAA-secret-1", "service_role reads it");
  },
});

Deno.test({
  ...opts,
  name: "rls: a user updates own settings and token, then sees has_facebook_token, not the token",
  fn: async () => {
    await sql`update traffic_targetologist_settings set facebook_access_token = null
      where user_id = ${a.id}`;
    const upd = await a.client.from("traffic_targetologist_settings").update({
      fb_ad_accounts: ["act_1"],
      tracked_campaigns: ["120237149691640477"],
      utm_sources: ["fb_a"],
      facebook_access_token: "EAA-new-token",
      facebook_token_expires_at: "2100-01-01T00:00:00Z",
    }).eq("user_id", a.id).select("user_id, has_facebook_token, fb_ad_accounts, utm_sources");
    assert.equal(upd.error, null, upd.error?.message);
    assert.deepEqual(upd.data, [{
      user_id: a.id,
      has_facebook_token: true,
      fb_ad_accounts: ["act_1"],
      utm_sources: ["fb_a"],
    }]);
    const [row] = await sql`select facebook_access_token from traffic_targetologist_settings
      where user_id = ${a.id}`;
    assert.equal(row.facebook_access_token, "EAA-new-token", "the token was stored");
    const again = await a.client.from("traffic_targetologist_settings").select(
      "facebook_access_token",
    );
    assert.equal(again.error?.code, "42501", "and cannot be read back");
    // A form that only rotates the token gets PostgREST's default return=minimal: still fine.
    const rotate = await a.client.from("traffic_targetologist_settings")
      .update({ facebook_access_token: "EAA-rotated" }).eq("user_id", a.id);
    assert.equal(rotate.error, null, rotate.error?.message);
    assert.equal(rotate.status, 204);
  },
});

Deno.test({
  ...opts,
  name: "rls: a user cannot update someone else's settings nor their own team or status",
  fn: async () => {
    const other = await a.client.from("traffic_targetologist_settings")
      .update({ utm_sources: ["stolen"], facebook_access_token: "EAA-stolen" })
      .eq("user_id", b.id).select("user_id");
    assert.deepEqual(other.data, [], "RLS filters B's row out: nothing updated");
    const [rowB] = await sql`select utm_sources, facebook_access_token
      from traffic_targetologist_settings where user_id = ${b.id}`;
    assert.deepEqual(rowB, { utm_sources: [], facebook_access_token: "EAA-secret-2" });
    const team = await a.client.from("traffic_targetologist_settings")
      .update({ team_name: "mine" }).eq("user_id", a.id);
    assert.equal(team.error?.code, "42501", "team_name is admin-only");
    const status = await a.client.from("traffic_targetologist_settings")
      .update({ facebook_token_status: "ok" }).eq("user_id", a.id);
    assert.equal(status.error?.code, "42501", "facebook_token_status is the sync's");
    const insert = await a.client.from("traffic_targetologist_settings")
      .insert({ user_id: a.id, team_name: "again" });
    assert.equal(insert.error?.code, "42501", "only an admin onboards");
    const byAdmin = await admin.client.from("traffic_targetologist_settings")
      .update({ team_name: "team 2 renamed", is_active: false }).eq("user_id", b.id)
      .select("team_name, is_active");
    assert.deepEqual(byAdmin.data, [{ team_name: "team 2 renamed", is_active: false }]);
  },
});

Deno.test({
  ...opts,
  name: "rls: clients write no data table; an admin edits the pipeline mapping",
  fn: async () => {
    for (const user of [a, admin]) {
      const r = await user.client.from("traffic_sales")
        .insert({
          amocrm_lead_id: lead(9),
          product: "express",
          sale_type: "full",
          sold_at: "2000-01-01T00:00:00Z",
        });
      assert.equal(r.error?.code, "42501");
      const d = await user.client.from("traffic_leads").delete().eq("amocrm_lead_id", lead(1));
      assert.equal(d.error?.code, "42501");
    }
    const pipeline = { pipeline_id: lead(1), name: "rls", product: "express" };
    const byUser = await a.client.from("traffic_amocrm_pipelines").insert(pipeline);
    assert.equal(byUser.error?.code, "42501");
    const byAdmin = await admin.client.from("traffic_amocrm_pipelines").insert(pipeline)
      .select("full_payment_status_ids");
    assert.deepEqual(byAdmin.data, [{ full_payment_status_ids: [142] }]);
    const read = await b.client.from("traffic_amocrm_pipelines").select("product")
      .eq("pipeline_id", lead(1));
    assert.deepEqual(read.data, [{ product: "express" }], "every user reads the mapping");
    const del = await admin.client.from("traffic_amocrm_pipelines").delete()
      .eq("pipeline_id", lead(1)).select("pipeline_id");
    assert.equal(del.data?.length, 1);
  },
});

Deno.test({
  ...opts,
  name: "rls: clean up and close the connection",
  fn: async () => {
    await sql`delete from traffic_leads where amocrm_lead_id between ${lead(0)} and ${lead(9)}`;
    await sql`delete from traffic_sales where amocrm_lead_id between ${lead(0)} and ${lead(9)}`;
    await sql`delete from traffic_sync_history where user_id in ${sql([a.id, b.id])}`;
    // Settings, ads rows and metrics go with the users (on delete cascade).
    await sql`delete from auth.users where id in ${sql([a.id, b.id, admin.id])}`;
    await sql.end();
  },
});
