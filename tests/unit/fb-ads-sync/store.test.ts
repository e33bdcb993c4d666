import assert from "node:assert/strict";
import { createClient } from "../../../supabase/functions/_shared/deps.ts";
import { serverAuthOptions } from "../../../supabase/functions/_shared/supabase.ts";
import { type AdsRow, createStore } from "../../../supabase/functions/fb-ads-sync/store.ts";

const U1 = "00000000-0000-4000-8000-000000000001";
const ROW: AdsRow = {
  account_id: "901",
  account_name: "Account",
  account_currency: "USD",
  campaign_id: "1",
  campaign_name: null,
  adset_id: "2",
  adset_name: null,
  ad_id: "3",
  ad_name: "Ad",
  stat_date: "2026-05-01",
  spend: "10.50",
  impressions: 100,
  clicks: 3,
  reach: null,
  actions: [{ action_type: "lead", value: "1", cost_per_action: "10.5" }],
};

Deno.test("a page's upsert is one body to fb_upsert_insights_page, its keys in `columns`, so neither PostgREST nor Postgres unpacks the ~300 KB body into arguments", async () => {
  const seen: { url: URL; method: string; body: string }[] = [];
  const db = createClient("http://127.0.0.1:1", "service-key", {
    auth: serverAuthOptions,
    global: {
      fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
        const req = new Request(input, init);
        seen.push({ url: new URL(req.url), method: req.method, body: await req.text() });
        return Response.json(7, { headers: { "content-type": "application/json" } });
      },
    },
  });
  const at = "2026-05-03T06:00:00.000Z";
  assert.equal(await createStore(db).upsertInsights(U1, [ROW], at), 7);
  assert.equal(seen.length, 1);
  const [{ url, method, body }] = seen;
  assert.equal(method, "POST");
  // A function with a single unnamed jsonb parameter: PostgREST 12 passes the body to it as it
  // is (`fb_upsert_insights_page($1::jsonb)`, parsed once by Postgres), not through
  // json_to_recordset into named arguments (migration 20261208052700).
  assert.equal(url.pathname, "/rest/v1/rpc/fb_upsert_insights_page");
  assert.equal(url.searchParams.get("columns"), "p_user_id,p_rows,p_fetched_at");
  // The body is fb_upsert_insights' arguments as one object (the keys `columns` names, so
  // PostgREST does not parse it to find them), each row with its actions in their stored form.
  assert.deepEqual(JSON.parse(body), {
    p_user_id: U1,
    p_rows: [{ ...ROW, actions: { lead: [1, 10.5] } }],
    p_fetched_at: at,
  });
});

Deno.test("a page's actions are sent in their stored form, each number as Meta's decimal text", async () => {
  let body = "";
  const db = createClient("http://127.0.0.1:1", "service-key", {
    auth: serverAuthOptions,
    global: {
      fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
        body = await new Request(input, init).text();
        return Response.json(1, { headers: { "content-type": "application/json" } });
      },
    },
  });
  const actions = [
    // more digits than a float keeps (0.12345678901234568 as a number)
    {
      action_type: "lead",
      value: "12345678901234567890123",
      cost_per_action: "0.1234567890123456789",
    },
    { action_type: "link_click", value: "0", cost_per_action: null },
    // a type that is also a JavaScript prototype key stays an own key of the list
    { action_type: "__proto__", value: "2.5", cost_per_action: "7" },
  ];
  await createStore(db).upsertInsights(U1, [{ ...ROW, actions }], "2026-05-03T06:00:00.000Z");
  assert.match(
    body,
    /"actions":\{"lead":\[12345678901234567890123,0\.1234567890123456789\],"link_click":\[0,null\],"__proto__":\[2\.5,7\]\}/,
  );
  // Exactly what fb_upsert_insights stores (no action_type / value / cost_per_action keys left).
  assert.doesNotMatch(body, /action_type|cost_per_action/);
});
