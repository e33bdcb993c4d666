/**
 * traffic-api serves Meta's leads beside the CRM's: /metrics, /metrics/range, /daily and
 * /campaigns (campaign, adset, ad) carry meta_leads, meta_leads_gap and meta_leads_gap_pct. The
 * actions go in through fb_upsert_insights (the sync's own write), CRM leads are attributed by ad
 * id, and every expected number below is worked out by hand from these rows.
 *
 * Rows (USD, days D1 = 2025-03-10, D2 = 2025-03-11, far from every other test's dates):
 *   campaign C1 / adset S1: ads A1, A2; campaign C2 / adset S2: ad A3.
 *   Meta actions               -> meta_leads (first of lead, lead_grouped, leadgen_grouped, pixel)
 *   A1 D1 lead 5, lead_grouped 3, leadgen_grouped 3, pixel 2  -> 5
 *   A2 D1 lead_grouped 4, leadgen_grouped 4                    -> 4
 *   A3 D1 pixel 2, link_click 30                               -> 2
 *   A1 D2 lead 3                                               -> 3
 *   CRM leads (utm_content = ad id): A1 D1 x2, A2 D1 x1, A1 D2 x1.
 */
import assert from "node:assert/strict";
import { createUser, db, invokeFunction, stackEnv, type TestUser } from "../helpers/stack.ts";

const sql = db();
const D1 = "2025-03-10";
const D2 = "2025-03-11";
const tag = crypto.randomUUID().slice(0, 8);
const id = (p: string) => `${p}${String(Math.floor(Math.random() * 1e12)).padStart(12, "0")}`;
const C1 = id("91"), C2 = id("92"), S1 = id("81"), S2 = id("82");
const A1 = id("71"), A2 = id("72"), A3 = id("73");
const ACCOUNT = id("6");
let m: TestUser, other: TestUser, admin: TestUser;

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({
    name: `traffic-api meta leads: ${name}`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn,
  });

async function api(path: string, jwt: string) {
  const res = await invokeFunction("traffic-api", {
    path,
    headers: { apikey: stackEnv().SUPABASE_ANON_KEY, authorization: `Bearer ${jwt}` },
  });
  const text = await res.text();
  assert.equal(res.status, 200, `${path}: ${text}`);
  return JSON.parse(text);
}

const row = (ad: string, adset: string, campaign: string, day: string, actions: unknown[]) => ({
  account_id: ACCOUNT,
  account_currency: "USD",
  campaign_id: campaign,
  campaign_name: `Campaign ${campaign.slice(0, 2)}`,
  adset_id: adset,
  adset_name: `Adset ${adset.slice(0, 2)}`,
  ad_id: ad,
  ad_name: `Ad ${ad.slice(0, 2)}`,
  stat_date: day,
  spend: "10",
  impressions: 1000,
  clicks: 30,
  reach: 900,
  actions,
});
const act = (action_type: string, value: string) => ({ action_type, value, cost_per_action: null });

test("fixtures: Meta actions through fb_upsert_insights, CRM leads attributed by ad", async () => {
  await sql`insert into public.exchange_rates (rate_date, currency, rate_kzt)
    values ('2025-03-01', 'USD', 500) on conflict do nothing`;
  m = await createUser(sql);
  other = await createUser(sql);
  admin = await createUser(sql, { admin: true });
  for (const [u, label] of [[m, "M"], [other, "O"]] as const) {
    await sql`insert into public.traffic_targetologist_settings (user_id, team_name, fb_ad_accounts)
      values (${u.id}, ${`Meta ${label} ${tag}`}, ${label === "M" ? [ACCOUNT] : []})`;
  }
  const rows = [
    row(A1, S1, C1, D1, [
      act("lead", "5"),
      act("onsite_conversion.lead_grouped", "3"),
      act("leadgen_grouped", "3"),
      act("offsite_conversion.fb_pixel_lead", "2"),
    ]),
    row(A2, S1, C1, D1, [act("onsite_conversion.lead_grouped", "4"), act("leadgen_grouped", "4")]),
    row(A3, S2, C2, D1, [act("offsite_conversion.fb_pixel_lead", "2"), act("link_click", "30")]),
    row(A1, S1, C1, D2, [act("lead", "3")]),
  ];
  const json = sql.json(rows as unknown as Parameters<typeof sql.json>[0]);
  const [{ n }] = await sql`select public.fb_upsert_insights(${m.id}, ${json}) as n`;
  assert.equal(n, 4);
  let k = 0;
  for (const [ad, day] of [[A1, D1], [A1, D1], [A2, D1], [A1, D2]]) {
    await sql`insert into public.traffic_leads (amocrm_lead_id, product, utm_source, utm_campaign,
        utm_content, created_at, user_id, attributed_by)
      values (${Number(`9${Date.now() % 1e9}${k++}`)}, 'express', 'facebook', ${C1}, ${ad},
        ${`${day}T12:00:00+05:00`}, ${m.id}, 'ad')`;
  }
});

test("/daily: Meta leads per day and the gap (D1 11 vs 3, D2 3 vs 1)", async () => {
  const body = await api(`/daily?from=${D1}&to=${D2}`, m.jwt);
  const got = body.data.map((
    d: {
      date: string;
      leads: number;
      meta_leads: number;
      meta_leads_gap: number;
      meta_leads_gap_pct: string | null;
    },
  ) => [d.date, d.leads, d.meta_leads, d.meta_leads_gap, d.meta_leads_gap_pct]);
  // 8 / 11 = 72.7272..% ; 2 / 3 = 66.666..%
  assert.deepEqual(got, [[D1, 3, 11, 8, "72.73"], [D2, 1, 3, 2, "66.67"]]);
  const asAdmin = await api(`/daily?from=${D1}&to=${D2}&user_id=${m.id}`, admin.jwt);
  assert.deepEqual(asAdmin.data, body.data, "an admin narrowing to M sees the same");
  const theirs = await api(`/daily?from=${D1}&to=${D2}`, other.jwt);
  assert.ok(
    theirs.data.every((d: { meta_leads: number; meta_leads_gap_pct: unknown }) =>
      d.meta_leads === 0 && d.meta_leads_gap_pct === null
    ),
    "another targetologist sees none of M's Meta leads; no Meta leads: gap % null",
  );
});

test("/metrics/range: 14 Meta leads vs 4 CRM leads, gap 10 = 71.43 %", async () => {
  const body = await api(`/metrics/range?from=${D1}&to=${D2}`, m.jwt);
  assert.equal(body.data.length, 1);
  const r = body.data[0];
  assert.deepEqual([r.user_id, r.leads, r.meta_leads, r.meta_leads_gap, r.meta_leads_gap_pct], [
    m.id,
    4,
    14,
    10,
    "71.43",
  ]);
  const asAdmin = await api(`/metrics/range?from=${D1}&to=${D2}&user_id=${m.id}`, admin.jwt);
  const mine = asAdmin.data.find((x: { user_id: string }) => x.user_id === m.id);
  assert.equal(mine.meta_leads, 14);
  assert.equal(mine.meta_leads_gap_pct, "71.43");
});

test("/campaigns: per campaign, adset and ad (C1 12 vs 4, C2 2 vs 0; A1 8 vs 3 ...)", async () => {
  const pick = (d: Record<string, unknown>[], key: string) =>
    Object.fromEntries(
      d.map((x) => [x[key], [x.leads, x.meta_leads, x.meta_leads_gap, x.meta_leads_gap_pct]]),
    );
  const campaign = await api(`/campaigns?from=${D1}&to=${D2}&level=campaign`, m.jwt);
  assert.deepEqual(pick(campaign.data, "campaign_id"), {
    [C1]: [4, 12, 8, "66.67"],
    [C2]: [0, 2, 2, "100.00"],
  });
  const adset = await api(`/campaigns?from=${D1}&to=${D2}&level=adset`, m.jwt);
  assert.deepEqual(pick(adset.data, "adset_id"), {
    [S1]: [4, 12, 8, "66.67"],
    [S2]: [0, 2, 2, "100.00"],
  });
  const ad = await api(`/campaigns?from=${D1}&to=${D2}&level=ad`, m.jwt);
  assert.deepEqual(pick(ad.data, "ad_id"), {
    [A1]: [3, 8, 5, "62.50"],
    [A2]: [1, 4, 3, "75.00"],
    [A3]: [0, 2, 2, "100.00"],
  });
  const oneDay = await api(`/campaigns?from=${D2}&to=${D2}&level=ad`, m.jwt);
  assert.deepEqual(pick(oneDay.data, "ad_id"), { [A1]: [1, 3, 2, "66.67"] });
});

test("/metrics: the stored columns, the gap % rounded to 2 places at the edge", async () => {
  await sql`insert into public.traffic_aggregated_metrics (user_id, team_name, period,
      period_start, period_end, leads, meta_leads, meta_leads_gap, meta_leads_gap_pct)
    values (${m.id}, ${`Meta M ${tag}`}, '7d', ${D1}, ${D2}, 4, 14, 10,
      ${"71.4285714285714286"})`;
  const body = await api("/metrics?period=7d", m.jwt);
  const r = body.data[0];
  assert.deepEqual([r.meta_leads, r.meta_leads_gap, r.meta_leads_gap_pct], [14, 10, "71.43"]);
});

test("cleanup", async () => {
  const ids = [m.id, other.id, admin.id];
  await sql`delete from public.traffic_leads where user_id = any(${ids}::uuid[])`;
  await sql`delete from auth.users where id = any(${ids}::uuid[])`;
  await sql.end();
});
