/**
 * traffic-api `compare=previous` on the local stack: the previous equal period comes from
 * `traffic_metrics_for_range` with the caller's JWT (RLS decides), next to the current numbers.
 */
import assert from "node:assert/strict";
import { db, invokeFunction, stackEnv } from "../helpers/stack.ts";
import { createTrafficFixtures, DAY, type TrafficFixtures } from "../helpers/traffic-fixtures.ts";

const sql = db();
let fx: TrafficFixtures;

async function api(path: string, jwt: string) {
  const res = await invokeFunction("traffic-api", {
    path,
    headers: { apikey: stackEnv().SUPABASE_ANON_KEY, authorization: `Bearer ${jwt}` },
  });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) };
}

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({
    name: `traffic-api compare: ${name}`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn,
  });

test("fixtures", async () => {
  fx = await createTrafficFixtures(sql);
});

test("metrics/range?compare=previous returns the previous equal period's numbers", async () => {
  // A spent 10 USD on DAY (2026-01-05): the day after has nothing, its previous day has it all.
  const res = await api(`/metrics/range?from=2026-01-06&to=2026-01-06&compare=previous`, fx.a.jwt);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.data.length, 1);
  assert.equal(Number(res.json.data[0].spend_usd), 0);
  assert.equal(res.json.previous.from, DAY);
  assert.equal(res.json.previous.to, DAY);
  const [prev] = res.json.previous.data;
  assert.equal(prev.user_id, fx.a.id);
  assert.equal(Number(prev.spend_usd), 10);
  assert.equal(Number(prev.spend_kzt), 5000);
  assert.equal(prev.leads, 1);
  assert.equal(prev.total_sales, 1);
  // Two days back from a two-day range: the same length, ending the day before `from`.
  const two = await api(`/metrics/range?from=2026-01-05&to=2026-01-06&compare=previous`, fx.a.jwt);
  assert.deepEqual([two.json.previous.from, two.json.previous.to], ["2026-01-03", "2026-01-04"]);
  assert.equal(Number(two.json.data[0].spend_usd), 10);
  assert.equal(Number(two.json.previous.data[0].spend_usd), 0);
});

test("without compare the answer has no previous (the old shape)", async () => {
  const res = await api(`/metrics/range?from=${DAY}&to=${DAY}`, fx.a.jwt);
  assert.equal(res.status, 200);
  assert.equal("previous" in res.json, false);
  const m = await api(`/metrics`, fx.a.jwt);
  assert.equal("previous" in m.json, false);
});

test("previous rows obey RLS: B never sees A's previous numbers; an admin sees both", async () => {
  const asB = await api(`/metrics/range?from=2026-01-06&to=2026-01-06&compare=previous`, fx.b.jwt);
  assert.equal(asB.status, 200);
  assert.ok(!asB.text.includes(fx.a.id));
  assert.deepEqual(asB.json.previous.data.map((r: { user_id: string }) => r.user_id), [fx.b.id]);
  const asAdmin = await api(
    `/metrics/range?from=2026-01-06&to=2026-01-06&compare=previous`,
    fx.admin.jwt,
  );
  const ids = asAdmin.json.previous.data.map((r: { user_id: string | null }) => r.user_id);
  assert.ok(ids.includes(fx.a.id) && ids.includes(fx.b.id) && ids.includes(null), String(ids));
  const narrowed = await api(
    `/metrics/range?from=2026-01-06&to=2026-01-06&compare=previous&user_id=${fx.b.id}`,
    fx.admin.jwt,
  );
  assert.deepEqual(narrowed.json.previous.data.map((r: { user_id: string }) => r.user_id), [
    fx.b.id,
  ]);
});

test("metrics?compare=previous: each stored period's previous range ends the day before it", async () => {
  // The fixture stores every period as DAY..DAY: its previous equal period is the day before.
  const res = await api(`/metrics?period=7d,today&compare=previous`, fx.a.jwt);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.previous.map((p: { period: string }) => p.period), ["7d", "today"]);
  for (const p of res.json.previous) {
    assert.deepEqual([p.from, p.to], ["2026-01-04", "2026-01-04"]);
    assert.deepEqual(p.data.map((r: { user_id: string }) => r.user_id), [fx.a.id]);
    assert.equal(Number(p.data[0].spend_usd), 0);
  }
});

test("compare takes only 'previous'; /daily does not take it", async () => {
  const bad = await api(`/metrics?compare=last_year`, fx.a.jwt);
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.code, "invalid_query");
  const daily = await api(`/daily?from=${DAY}&to=${DAY}&compare=previous`, fx.a.jwt);
  assert.equal(daily.status, 400);
});

test("the OpenAPI document lists compare and previous", async () => {
  const res = await api(`/openapi.json`, fx.a.jwt);
  const names = (p: string) =>
    res.json.paths[p].get.parameters.map((x: { name: string }) => x.name);
  assert.ok(names("/metrics").includes("compare"));
  assert.ok(names("/metrics/range").includes("compare"));
  assert.ok(!names("/daily").includes("compare"));
  assert.ok(res.json.components.schemas.MetricsResponse.properties.previous);
  assert.ok(res.json.components.schemas.RangeResponse.properties.previous);
});

test("a previous period without an exchange rate: previous.data is null with the reason, 200", async () => {
  // Spend in a currency no rate was ever published for, on the day before the range only.
  const day = "2026-02-01";
  await sql`insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id,
      campaign_id, campaign_name, adset_id, adset_name, ad_id, ad_name, stat_date, spend,
      account_currency, impressions, clicks, reach)
    values (${fx.a.id}, ${fx.a.team}, 'act_5550001', ${fx.a.campaignId}, 'c', ${fx.a.adsetId},
      's', ${fx.a.adId}, 'ad', ${day}, 12, 'XTS', 10, 1, 10)`;
  try {
    const res = await api(
      `/metrics/range?from=2026-02-02&to=2026-02-02&compare=previous`,
      fx.a.jwt,
    );
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.data.length, 1, "the current numbers are still answered");
    assert.deepEqual([res.json.previous.from, res.json.previous.to], [day, day]);
    assert.equal(res.json.previous.data, null);
    assert.equal(res.json.previous.error.code, "exchange_rate_missing");
    // Without compare the previous day's problem does not touch the answer.
    const plain = await api(`/metrics/range?from=2026-02-02&to=2026-02-02`, fx.a.jwt);
    assert.equal(plain.status, 200);
  } finally {
    await sql`delete from public.traffic_facebook_ads_raw
      where user_id = ${fx.a.id} and account_currency = 'XTS'`;
  }
});

test("a previous period before the dates SQL accepts: previous.data null (invalid_range), 200", async () => {
  const res = await api(`/metrics/range?from=2000-01-01&to=2000-01-07&compare=previous`, fx.a.jwt);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual([res.json.previous.from, res.json.previous.to], ["1999-12-25", "1999-12-31"]);
  assert.equal(res.json.previous.data, null);
  assert.equal(res.json.previous.error.code, "invalid_range");
});

test("cleanup", async () => {
  await fx.cleanup();
  await sql.end();
});
