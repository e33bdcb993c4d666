/**
 * Issue 12 item 1, through traffic-api with real JWTs: a targetologist cannot take another team's
 * leads and sales by PUTting its utm_source (any case) — 409 with a clear JSON error that names
 * the source but not its holder, and nothing moves. Plus: the SQL functions a signed-in user may
 * call refuse an unbounded date range with a 400 (issue 12 item 3).
 */
import assert from "node:assert/strict";
import { db, invokeFunction, stackEnv } from "../helpers/stack.ts";
import { createTrafficFixtures, type TrafficFixtures } from "../helpers/traffic-fixtures.ts";

const sql = db();
let fx: TrafficFixtures;
const leadId = 990_000_000_000 + Math.floor(Math.random() * 1_000_000_000);

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({
    name: `utm-source claims: ${name}`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn,
  });

async function putSettings(jwt: string, body: unknown) {
  const res = await invokeFunction("traffic-api", {
    path: "/settings",
    method: "PUT",
    headers: {
      apikey: stackEnv().SUPABASE_ANON_KEY,
      authorization: `Bearer ${jwt}`,
      "content-type": "application/json",
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) };
}

async function owners() {
  return await sql`select 'lead' as kind, user_id from public.traffic_leads
      where amocrm_lead_id = ${leadId}
    union all
    select 'sale', user_id from public.traffic_sales where amocrm_lead_id = ${leadId}
    order by 1`;
}

test("fixtures: A's source carries a lead and a 45,000 KZT sale", async () => {
  fx = await createTrafficFixtures(sql);
  // The fixtures give A the utm_source fb_A.
  await sql`insert into public.traffic_leads (amocrm_lead_id, product, utm_source, created_at)
    values (${leadId}, 'express', 'FB_a', now())`;
  await sql`insert into public.traffic_sales (amocrm_lead_id, product, sale_type, sale_amount,
      sold_at, status, utm_source)
    values (${leadId}, 'express', 'full', 45000, now(), 'active', 'fb_a')`;
  await sql`select public.traffic_resolve_attribution()`;
  assert.deepEqual((await owners()).map((r) => r.user_id), [fx.a.id, fx.a.id]);
});

test("PUT /settings with another team's utm_source (other case) answers 409 and moves nothing", async () => {
  const res = await putSettings(fx.b.jwt, { utm_sources: ["fb_b", "Fb_A"] });
  assert.equal(res.status, 409, res.text);
  assert.equal(res.json.error.code, "utm_source_taken");
  assert.match(res.json.error.message, /utm_source "Fb_A" is already claimed/);
  // Names the source only: nothing about who holds it.
  assert.ok(!res.text.includes(fx.a.id), "the holder's id leaked");
  assert.ok(!res.text.includes(fx.a.team), "the holder's team leaked");
  const [row] = await sql`select utm_sources from public.traffic_targetologist_settings
    where user_id = ${fx.b.id}`;
  assert.deepEqual(row.utm_sources, ["fb_B"], "B's sources unchanged");
  await sql`select public.traffic_resolve_attribution()`;
  assert.deepEqual((await owners()).map((r) => r.user_id), [fx.a.id, fx.a.id], "nothing moved");
});

test("a source of one's own is accepted, and then refused to the other team", async () => {
  const own = await putSettings(fx.b.jwt, { utm_sources: ["fb_b", "ig_b_new"] });
  assert.equal(own.status, 200, own.text);
  assert.deepEqual(own.json.utm_sources, ["fb_b", "ig_b_new"]);
  const steal = await putSettings(fx.a.jwt, { utm_sources: ["fb_a", "IG_B_NEW"] });
  assert.equal(steal.status, 409, steal.text);
  assert.equal(steal.json.error.code, "utm_source_taken");
});

test("rpc traffic_metrics_for_range / get_average_exchange_rate over 0001..9999: 400", async () => {
  for (
    const [fn, args] of [
      ["traffic_metrics_for_range", { p_from: "0001-01-01", p_to: "9999-12-31" }],
      ["traffic_metrics_for_range", { p_from: "2025-01-01", p_to: "2026-06-30" }],
      ["get_average_exchange_rate", { p_from: "0001-01-01", p_to: "9999-12-31" }],
    ] as const
  ) {
    const res = await fetch(`${stackEnv().SUPABASE_URL}/rest/v1/rpc/${fn}`, {
      method: "POST",
      headers: {
        apikey: stackEnv().SUPABASE_ANON_KEY,
        authorization: `Bearer ${fx.a.jwt}`,
        "content-type": "application/json",
      },
      body: JSON.stringify(args),
    });
    const body = await res.json();
    assert.equal(res.status, 400, `${fn} ${JSON.stringify(args)}: ${JSON.stringify(body)}`);
    assert.equal(body.code, "22023");
    assert.match(body.message, /366 days|between 2000-01-01 and 2099-12-31/);
  }
});

test("cleanup", async () => {
  await sql`delete from public.traffic_sales where amocrm_lead_id = ${leadId}`;
  await sql`delete from public.traffic_leads where amocrm_lead_id = ${leadId}`;
  await fx.cleanup();
  await sql.end();
});
