/**
 * GET /daily and GET /campaigns are answered from ONE SQL call that serialises the rows
 * (`traffic_api_daily_answer`, `traffic_api_campaigns_answer`): the bodies must be byte for byte
 * what the function served before, when it read the rows of `traffic_api_daily` /
 * `traffic_api_campaigns` through PostgREST and serialised them itself (JSON.stringify). Names
 * with quotes, backslashes, control characters and non-ASCII text are where two serialisers
 * would differ. Also: the page limits are enforced in SQL too (22023).
 */
import assert from "node:assert/strict";
import { createUser, db, invokeFunction, stackEnv, type TestUser } from "../helpers/stack.ts";

const sql = db();
const D1 = "2024-02-19";
const D2 = "2024-02-21";
const tag = crypto.randomUUID().slice(0, 8);
const id = (p: string) => `${p}${String(Math.floor(Math.random() * 1e12)).padStart(12, "0")}`;
const ACCOUNT = id("6");
const C1 = id("91"), C2 = id("92"), S1 = id("81"), S2 = id("82");
const A1 = id("71"), A2 = id("72"), A3 = id("73");
// Where JSON serialisers differ, if they do: quotes, backslash, control characters (tab, newline,
// U+0001, U+001F), "/", non-ASCII, U+2028, an emoji (a surrogate pair in JS).
const ODD = `"q" \\ b\t n\n \u0001\u001f / Ünïcødé \u2028 🚀 </script>`;
let m: TestUser, admin: TestUser;

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({
    name: `traffic-api answers: ${name}`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn,
  });

async function served(path: string, jwt: string): Promise<string> {
  const res = await invokeFunction("traffic-api", {
    path,
    headers: { apikey: stackEnv().SUPABASE_ANON_KEY, authorization: `Bearer ${jwt}` },
  });
  const text = await res.text();
  assert.equal(res.status, 200, `${path}: ${text}`);
  return text;
}

const row = (ad: string, adset: string, campaign: string, day: string, spend: string) => ({
  account_id: ACCOUNT,
  account_currency: "USD",
  campaign_id: campaign,
  campaign_name: `Campaign ${campaign.slice(0, 2)} ${ODD}`,
  adset_id: adset,
  adset_name: `Adset ${ODD}`,
  ad_id: ad,
  ad_name: `Ad ${ad.slice(0, 2)} ${ODD}`,
  stat_date: day,
  spend,
  impressions: 1000,
  clicks: 30,
  reach: 900,
  actions: [{ action_type: "lead", value: "3", cost_per_action: null }],
});

test("fixtures: three ads with odd names, spend on two days, attributed leads", async () => {
  await sql`insert into public.exchange_rates (rate_date, currency, rate_kzt)
    values ('2024-02-01', 'USD', 450.5) on conflict do nothing`;
  m = await createUser(sql);
  admin = await createUser(sql, { admin: true });
  await sql`insert into public.traffic_targetologist_settings (user_id, team_name, fb_ad_accounts)
    values (${m.id}, ${`Answers ${tag} ${ODD}`}, ${[ACCOUNT]})`;
  const rows = [
    row(A1, S1, C1, D1, "10.005"),
    row(A2, S1, C1, D1, "0.333"),
    row(A3, S2, C2, D2, "7"),
    row(A1, S1, C1, D2, "1.115"),
  ];
  const json = sql.json(rows as unknown as Parameters<typeof sql.json>[0]);
  await sql`select public.fb_upsert_insights(${m.id}, ${json})`;
  let k = 0;
  for (const [ad, day] of [[A1, D1], [A2, D1], [A3, D2]]) {
    await sql`insert into public.traffic_leads (amocrm_lead_id, product, utm_source, utm_campaign,
        utm_content, created_at, user_id, attributed_by)
      values (${Number(`8${Date.now() % 1e9}${k++}`)}, 'express', 'facebook', ${C1}, ${ad},
        ${`${day}T12:00:00+05:00`}, ${m.id}, 'ad')`;
  }
});

test("/daily: the body is what JSON.stringify of PostgREST's rows gave, byte for byte", async () => {
  for (
    const [who, u, userId] of [["targetologist", () => m, null], ["admin", () => admin, null], [
      "admin narrowed",
      () => admin,
      () => m.id.toUpperCase(),
    ]] as const
  ) {
    const uid = userId ? userId() : null;
    const path = `/daily?from=${D1}&to=${D2}${uid ? `&user_id=${uid}` : ""}`;
    const text = await served(path, u().jwt);
    const { data, error } = await u().client.rpc("traffic_api_daily", {
      p_from: D1,
      p_to: D2,
      p_tz: "Asia/Almaty",
      p_user_id: uid,
    });
    assert.equal(error, null);
    const before = JSON.stringify({
      from: D1,
      to: D2,
      timezone: "Asia/Almaty",
      user_id: uid,
      data,
    });
    assert.equal(text, before, who);
  }
});

test("/campaigns: every level and page is what JSON.stringify of PostgREST's rows gave", async () => {
  let odd = 0;
  for (const u of [() => m, () => admin]) {
    for (const level of ["campaign", "adset", "ad"]) {
      for (const [limit, offset] of [[100, 0], [1, 0], [1, 1], [2, 1], [1, 5]]) {
        const path =
          `/campaigns?from=${D1}&to=${D2}&level=${level}&limit=${limit}&offset=${offset}` +
          (u() === admin ? `&user_id=${m.id}` : "");
        const text = await served(path, u().jwt);
        // The old route: limit + 1 rows by PostgREST's range, the extra one says "more".
        const { data, error } = await u().client.rpc("traffic_api_campaigns", {
          p_from: D1,
          p_to: D2,
          p_tz: "Asia/Almaty",
          p_level: level,
          p_user_id: u() === admin ? m.id : null,
        }).range(offset, offset + limit);
        assert.equal(error, null);
        const rows = data as unknown[];
        const more = rows.length > limit;
        const before = JSON.stringify({
          from: D1,
          to: D2,
          timezone: "Asia/Almaty",
          level,
          limit,
          offset,
          next_offset: more ? offset + limit : null,
          data: more ? rows.slice(0, limit) : rows,
        });
        assert.equal(text, before, path);
        if (text.includes("\\u0001") && text.includes("🚀")) odd++;
      }
    }
  }
  assert.ok(odd > 0, "the odd names were served (the comparison covered them)");
});

test("the page limits hold in SQL too: 22023 for 0 or 501 rows or a negative offset", async () => {
  for (const [limit, offset] of [[0, 0], [501, 0], [10, -1]]) {
    const { error } = await m.client.rpc("traffic_api_campaigns_answer", {
      p_from: D1,
      p_to: D2,
      p_limit: limit,
      p_offset: offset,
    });
    assert.equal(error?.code, "22023", `limit ${limit}, offset ${offset}`);
  }
});

test("cleanup", async () => {
  await sql`delete from public.traffic_leads where user_id = ${m.id}`;
  await sql`delete from public.traffic_facebook_ads_raw where user_id = ${m.id}`;
  await sql`delete from public.traffic_targetologist_settings where user_id = ${m.id}`;
  await sql.end();
});
