/**
 * fb-ads-sync on the local stack: the real function (its own process, behind the gateway) calls
 * a loopback fake Graph API and writes through PostgREST into Postgres. Three targetologists;
 * a second run changes nothing; a revised figure updates its row; only service callers may call;
 * the scheduled fan-out reaches every user through pg_net; tokens never leave their column.
 */
import assert from "node:assert/strict";
import { dateWindow } from "../../supabase/functions/_shared/facebook/mod.ts";
import { grant, graphModel, makeAccount, serveGraphApi } from "../fakes/graph-api.ts";
import {
  callSync,
  expectedTable,
  graphUrl,
  type RowView,
  syncOne,
} from "../helpers/fb-ads-sync.ts";
import { createUser, db, invokeFunction, stackEnv, type TestUser } from "../helpers/stack.ts";

const sql = db();
const opts = { sanitizeResources: false, sanitizeOps: false };
const tag = crypto.randomUUID().slice(0, 8);
const TOKENS = { a: `tok-A-${tag}-secret`, b: `tok-B-${tag}-secret`, c: `tok-C-${tag}-secret` };
const REVOKED = `tok-D-${tag}-revoked`;
const n = 100000 + Math.floor(Math.random() * 800000); // account ids no other run uses
const model = graphModel();
const accounts = {
  a1: makeAccount({ id: `${n}1`, campaigns: 2, adsPerCampaign: 3, currency: "KZT" }),
  a2: makeAccount({ id: `${n}2`, campaigns: 1, adsPerCampaign: 2 }),
  b1: makeAccount({ id: `${n}3`, campaigns: 3, adsPerCampaign: 2 }),
  c1: makeAccount({ id: `${n}4`, adsPerCampaign: 4, statuses: ["DELETED", "ARCHIVED", "ACTIVE"] }),
};
grant(model, TOKENS.a, accounts.a1, accounts.a2);
grant(model, TOKENS.b, accounts.b1);
grant(model, TOKENS.c, accounts.c1);
const fake = serveGraphApi(model, Number(graphUrl().port));
const users: Record<"a" | "b" | "c" | "d", TestUser> = {} as never;
const trackedB = [accounts.b1.ads[0].campaign_id];
const texts: string[] = []; // every response body, checked for tokens at the end

async function tableOf(userId: string) {
  const rows = await sql`select id, ad_id, stat_date::text as day, team_name, account_id,
      account_name, account_currency, campaign_id, campaign_name, adset_id, adset_name, ad_name,
      spend::text as spend, impressions::int, clicks::int, reach::int, synced_at
    from traffic_facebook_ads_raw where user_id = ${userId} order by ad_id, stat_date`;
  return rows;
}
const view = (rows: Awaited<ReturnType<typeof tableOf>>) =>
  new Map<string, RowView>(
    rows.map(({ id: _i, ad_id, day, synced_at: _s, ...r }) => [`${ad_id}|${day}`, r as RowView]),
  );

function expected(key: "a" | "b" | "c") {
  const { since, until } = dateWindow({ days: 3, tz: "Asia/Almaty" });
  const set = {
    a: [{ account: accounts.a1 }, { account: accounts.a2 }],
    b: [{ account: accounts.b1, campaigns: trackedB }],
    c: [{ account: accounts.c1 }],
  }[key];
  return expectedTable(model, `itest ${key} ${tag}`, set, since, until);
}

Deno.test({
  ...opts,
  name: "fb-ads-sync: three targetologists synced through the gateway hold exactly Meta's rows",
  fn: async () => {
    for (const k of ["a", "b", "c", "d"] as const) {
      users[k] = await createUser(sql);
      const token = k === "d" ? REVOKED : TOKENS[k];
      const acc = {
        a: ["act_" + accounts.a1.id, accounts.a2.id],
        b: [accounts.b1.id],
        c: [accounts.c1.id],
        d: [accounts.a1.id],
      }[k];
      await sql`insert into traffic_targetologist_settings
          (user_id, team_name, facebook_access_token, fb_ad_accounts, tracked_campaigns)
        values (${users[k].id}, ${`itest ${k} ${tag}`}, ${token}, ${acc},
          ${k === "b" ? trackedB : []})`;
    }
    const results = await Promise.all(["a", "b", "c"].map((k) => syncOne(users[k as "a"].id)));
    for (const [i, k] of (["a", "b", "c"] as const).entries()) {
      const r = results[i];
      texts.push(r.text);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.success, true, r.text);
      const want = expected(k);
      assert.equal(r.json.records_synced, want.size);
      assert.deepEqual(view(await tableOf(users[k].id)), want, `rows of ${k}`);
    }
    assert.ok(fake.calls.length >= 4, "the function called the fake Graph API");
    assert.ok(expected("c").size === 12, "deleted and archived ads are synced too");
    const history = await sql`select user_id, success, details
      from traffic_sync_history where triggered_by = 'itest'
        and user_id in ${sql([users.a.id, users.b.id, users.c.id])}`;
    for (const k of ["a", "b", "c"] as const) {
      const mine = history.filter((h) => h.user_id === users[k].id);
      assert.ok(mine.some((h) => h.success === true), `a successful history row for ${k}`);
      assert.ok(mine.every((h) => h.details.users.length === 1), "one user per per-user run");
    }
  },
});

Deno.test({
  ...opts,
  name: "fb-ads-sync: a second run changes nothing; a revised figure for yesterday updates its row",
  fn: async () => {
    const before = await tableOf(users.a.id);
    const again = await syncOne(users.a.id);
    texts.push(again.text);
    assert.equal(again.json.rows_changed, 0);
    assert.equal(again.json.records_synced, before.length);
    assert.deepEqual(await tableOf(users.a.id), before, "same ids, values and synced_at");

    const { since } = dateWindow({ days: 2, tz: "Asia/Almaty" }); // yesterday
    const ad = accounts.a1.ads[1].ad_id;
    model.overrides.set(`${ad}|${since}`, { spend: "1234.56" });
    const revised = await syncOne(users.a.id);
    texts.push(revised.text);
    assert.equal(revised.json.rows_changed, 1);
    const after = await tableOf(users.a.id);
    assert.equal(after.length, before.length, "no duplicate row");
    for (const [i, row] of after.entries()) {
      if (row.ad_id === ad && row.day === since) {
        assert.equal(row.spend, "1234.56");
        assert.equal(row.id, before[i].id, "updated in place");
        assert.ok(row.synced_at > before[i].synced_at);
      } else {
        assert.deepEqual(row, before[i]);
      }
    }
  },
});

Deno.test({
  ...opts,
  name: "fb-ads-sync: only service callers: no key 401, the anon key and a user JWT 403",
  fn: async () => {
    const none = await callSync({ user_id: users.a.id }, "");
    assert.equal(none.status, 401);
    const anon = await callSync({ user_id: users.a.id }, stackEnv().SUPABASE_ANON_KEY);
    assert.equal(anon.status, 403);
    const user = await callSync({ user_id: users.a.id }, users.a.jwt);
    assert.equal(user.status, 403);
    const get = await invokeFunction("fb-ads-sync", {
      headers: { authorization: `Bearer ${stackEnv().SUPABASE_SERVICE_ROLE_KEY}` },
    });
    assert.equal(get.status, 405);
    await get.body?.cancel();
  },
});

Deno.test({
  ...opts,
  name: "fb-ads-sync: a revoked token marks the user's token invalid and is not sent again",
  fn: async () => {
    const r = await syncOne(users.d.id);
    texts.push(r.text);
    assert.equal(r.json.success, false);
    assert.equal(r.json.users[0].outcome, "token_invalid");
    assert.match(r.json.error_message, /token_invalid/);
    const [s] = await sql`select facebook_token_status, facebook_token_status_at
      from traffic_targetologist_settings where user_id = ${users.d.id}`;
    assert.equal(s.facebook_token_status, "invalid");
    assert.ok(s.facebook_token_status_at);
    const calls = fake.calls.filter((c) => c.token === REVOKED).length;
    const again = await syncOne(users.d.id);
    texts.push(again.text);
    assert.equal(again.json.users[0].outcome, "token_invalid");
    assert.equal(fake.calls.filter((c) => c.token === REVOKED).length, calls, "no new Meta call");
  },
});

Deno.test({
  ...opts,
  name:
    "fb-ads-sync: {} fans out one pg_net invocation per user, each answered 200 by the function",
  fn: async () => {
    const [{ t0 }] = await sql`select clock_timestamp() as t0`;
    const [{ expected: count }] = await sql`select count(*)::int as expected
      from traffic_targetologist_settings where is_active and cardinality(fb_ad_accounts) > 0`;
    const r = await callSync({});
    texts.push(r.text);
    assert.equal(r.status, 202);
    assert.equal(r.json.mode, "fan_out");
    assert.equal(r.json.queued, count);
    const ours = [users.a.id, users.b.id, users.c.id, users.d.id];
    // Responses of other requests may not be JSON: parse them here, not in SQL.
    let got: { status_code: number; user_id: string }[] = [];
    const answered = () => new Set(got.map((g) => g.user_id)).size;
    for (let i = 0; i < 600 && answered() < ours.length; i++) {
      const rows = await sql`select status_code, content from net._http_response
        where created >= ${t0} and content like '%"mode":"sync"%'`;
      got = rows.flatMap((r) => {
        try {
          const user_id = JSON.parse(r.content).users?.[0]?.user_id;
          return ours.includes(user_id) ? [{ status_code: r.status_code, user_id }] : [];
        } catch {
          return [];
        }
      });
      if (answered() < ours.length) await new Promise((ok) => setTimeout(ok, 100));
    }
    assert.deepEqual([...new Set(got.map((g) => g.user_id))].sort(), [...ours].sort());
    assert.ok(got.every((g) => g.status_code === 200), JSON.stringify(got));
    texts.push(...(await sql`select content from net._http_response where created >= ${t0}`)
      .map((x) => String(x.content)));
  },
});

Deno.test({
  ...opts,
  name: "fb-ads-sync: tokens appear in no response, history row or function log line",
  fn: async () => {
    const history = await sql`select coalesce(error_message, '') || details::text as t
      from traffic_sync_history where sync_type = 'facebook_ads'`;
    const logDir = Deno.env.get("STACK_DIR") ?? new URL("../../.stack", import.meta.url).pathname;
    const log = await Deno.readTextFile(`${logDir}/logs/fn-fb-ads-sync.log`);
    assert.ok(log.includes(users.a.id), "the log is the function's");
    for (const token of [...Object.values(TOKENS), REVOKED]) {
      for (const t of [...texts, ...history.map((h) => h.t), log]) {
        assert.ok(!t.includes(token), `token leaked: ${t.slice(0, 200)}`);
      }
    }
  },
});

Deno.test({
  ...opts,
  name: "fb-ads-sync: clean up",
  fn: async () => {
    await fake.server.shutdown();
    await sql`delete from auth.users where id in ${sql(Object.values(users).map((u) => u.id))}`;
    await sql.end();
  },
});
