/**
 * fb-ads-sync's page write through PostgREST 12 as the function sends it (migration
 * 20261208052700): `POST /rest/v1/rpc/fb_upsert_insights_page?columns=p_user_id,p_rows,p_fetched_at`
 * with the page as one JSON object. PostgREST passes that body to the function's single unnamed
 * jsonb parameter as it is; the row is written as fb_upsert_insights writes it, and a bad body is
 * a 400 with PostgREST's JSON error, never a 500. Before 20261208052700 there is no such rpc (404).
 */
import assert from "node:assert/strict";
import { createUser, db, stackEnv } from "../helpers/stack.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };
const COLUMNS = "p_user_id,p_rows,p_fetched_at";

function post(body: string, columns: string | null = COLUMNS) {
  const env = stackEnv();
  const url = new URL(`${env.SUPABASE_URL}/rest/v1/rpc/fb_upsert_insights_page`);
  if (columns !== null) url.searchParams.set("columns", columns);
  return fetch(url, {
    method: "POST",
    headers: {
      apikey: env.SUPABASE_SERVICE_ROLE_KEY,
      authorization: `Bearer ${env.SUPABASE_SERVICE_ROLE_KEY}`,
      "content-type": "application/json",
    },
    body,
  });
}

const row = (ad: string, spend: string) => ({
  account_id: "880001",
  account_name: "Page account",
  account_currency: "USD",
  campaign_id: "c-page",
  campaign_name: "C",
  adset_id: "s-page",
  adset_name: "S",
  ad_id: ad,
  ad_name: "A",
  stat_date: "2026-05-01",
  spend,
  impressions: 100,
  clicks: 4,
  reach: 80,
  actions: { lead: [2, 6.17] },
});

Deno.test(
  "a page posted to fb_upsert_insights_page is written as fb_upsert_insights writes it; a bad body is a 400",
  opts,
  async () => {
    const sql = db();
    try {
      const user = await createUser(sql);
      await sql`insert into traffic_targetologist_settings (user_id, team_name)
      values (${user.id}, ${`page ${user.id.slice(0, 8)}`})`;
      const at = "2026-05-02T10:00:00.000Z";
      // The spend as a JSON number written from Meta's decimal text (as the function sends it).
      const body = JSON.stringify({
        p_user_id: user.id,
        p_rows: [row("P1", "12.34"), row("P2", "0")],
        p_fetched_at: at,
      })
        .replace('"spend":"12.34"', '"spend":12.34');
      const r = await post(body);
      assert.equal(r.status, 200, await r.clone().text());
      assert.equal(await r.json(), 2);
      const rows = await sql`select ad_id, spend::text, impressions::int, synced_at, actions
      from traffic_facebook_ads_raw where user_id = ${user.id} order by ad_id`;
      assert.deepEqual(
        rows.map((x) => [x.ad_id, x.spend, x.impressions, x.synced_at.toISOString()]),
        [
          ["P1", "12.34", 100, at],
          ["P2", "0", 100, at],
        ],
      );
      assert.deepEqual(rows[0].actions, { lead: [2, 6.17] });
      // Again, unchanged: nothing written (the re-sync path of fb_upsert_insights).
      const again = await post(body);
      assert.equal(await again.json(), 0);
      // Without `columns` PostgREST parses the body itself and still calls the same function.
      const plain = await post(
        JSON.stringify({ p_user_id: user.id, p_rows: [row("P3", "1")], p_fetched_at: at }),
        null,
      );
      assert.equal(plain.status, 200);
      assert.equal(await plain.json(), 1);

      // Bad bodies: 400 with a JSON error naming the SQL state, nothing written.
      for (
        const [bad, code] of [
          ["[]", "22023"],
          [JSON.stringify({ p_user_id: user.id, p_rows: { x: 1 } }), "22023"],
          [JSON.stringify({ p_user_id: "not-a-uuid", p_rows: [] }), "22P02"],
          [
            JSON.stringify({
              p_user_id: user.id,
              p_rows: [{ ...row("P4", "1"), actions: { lead: [-1, 1] } }],
            }),
            "23514",
          ],
        ] as const
      ) {
        const e = await post(bad);
        assert.equal(e.status, 400, `${bad.slice(0, 60)}: ${e.status}`);
        assert.equal((await e.json()).code, code);
      }
      const [{ n }] = await sql`select count(*)::int as n from traffic_facebook_ads_raw
      where user_id = ${user.id}`;
      assert.equal(n, 3);
      await sql`delete from auth.users where id = ${user.id}`;
    } finally {
      await sql.end();
    }
  },
);
