/**
 * traffic-api on the local stack, through the gateway, with real JWTs: what each caller sees
 * (RLS decides), the documented errors, conditional GETs, and the write-only token.
 */
import assert from "node:assert/strict";
import { db, invokeFunction, stackEnv } from "../helpers/stack.ts";
import { createTrafficFixtures, DAY, type TrafficFixtures } from "../helpers/traffic-fixtures.ts";

const sql = db();
let fx: TrafficFixtures;
/** Every response body of this file, checked at the end for tokens. */
const bodies: string[] = [];

interface Call {
  jwt?: string;
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

async function api(path: string, call: Call = {}) {
  const headers: Record<string, string> = { apikey: stackEnv().SUPABASE_ANON_KEY, ...call.headers };
  if (call.jwt) headers.authorization = `Bearer ${call.jwt}`;
  if (call.body !== undefined) headers["content-type"] = "application/json";
  const res = await invokeFunction("traffic-api", {
    path,
    method: call.method ?? "GET",
    headers,
    body: call.body === undefined
      ? undefined
      : typeof call.body === "string"
      ? call.body
      : JSON.stringify(call.body),
  });
  const text = await res.text();
  bodies.push(text);
  // deno-lint-ignore no-explicit-any
  const json: any = text ? JSON.parse(text) : null;
  return { status: res.status, headers: res.headers, text, json };
}

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name: `traffic-api: ${name}`, sanitizeResources: false, sanitizeOps: false, fn });

const range = `from=${DAY}&to=${DAY}`;
const DATA_ROUTES = [
  "/metrics",
  `/metrics/range?${range}`,
  `/daily?${range}`,
  `/campaigns?${range}`,
  `/campaigns?${range}&level=adset`,
  `/campaigns?${range}&level=ad`,
  "/sync-status",
  "/settings",
];

test("fixtures", async () => {
  fx = await createTrafficFixtures(sql);
});

test("user A never sees user B's rows on any route, and sees their own", async () => {
  const { a, b } = fx;
  for (const route of DATA_ROUTES) {
    const res = await api(route, { jwt: a.jwt });
    assert.equal(res.status, 200, `${route}: ${res.text}`);
    for (const secret of [b.id, b.team, b.campaignId, b.adsetId, b.adId]) {
      assert.ok(!res.text.includes(secret), `${route} leaks B's ${secret}`);
    }
  }
  const metrics = await api("/metrics", { jwt: a.jwt });
  assert.deepEqual(metrics.json.periods, ["today", "7d", "30d"]);
  assert.deepEqual(metrics.json.data.map((r: { period: string }) => r.period), [
    "today",
    "7d",
    "30d",
  ]);
  assert.ok(metrics.json.data.every((r: { user_id: string }) => r.user_id === a.id));
  // 10.123456789012345678 stored; served rounded to the cent, once, as an exact string.
  assert.equal(metrics.json.data[0].spend_usd, "10.12", "money rounded to its unit, exact");
  const campaigns = await api(`/campaigns?${range}`, { jwt: a.jwt });
  assert.deepEqual(campaigns.json.data.map((r: { campaign_id: string }) => r.campaign_id), [
    a.campaignId,
  ]);
});

test("range metrics come from the aggregation's SQL, and /daily adds up to them", async () => {
  const { a } = fx;
  const wide = "from=2026-01-01&to=2026-01-31";
  const rangeRes = await api(`/metrics/range?${wide}`, { jwt: a.jwt });
  assert.equal(rangeRes.status, 200, rangeRes.text);
  assert.equal(rangeRes.json.timezone, "Asia/Almaty");
  const [row] = rangeRes.json.data;
  assert.equal(rangeRes.json.data.length, 1, "only A's row, no team total");
  assert.equal(row.user_id, a.id);
  assert.equal(row.period_start, "2026-01-01");
  // A: 10 USD at 500 KZT/USD; one express lead; one active 100000 sale (a reversed one left out)
  assert.equal(Number(row.spend_usd), 10);
  assert.equal(Number(row.spend_kzt), 5000);
  assert.equal(row.leads, 1);
  assert.equal(row.total_sales, 1);
  assert.equal(Number(row.total_revenue), 100000);
  assert.equal(Number(row.roas), 20);
  const daily = await api(`/daily?${wide}`, { jwt: a.jwt });
  assert.equal(daily.json.data.length, 31);
  const sum = (k: string) =>
    daily.json.data.reduce((n: number, d: Record<string, string>) => n + Number(d[k]), 0);
  assert.deepEqual(
    [sum("spend_usd"), sum("spend_kzt"), sum("leads"), sum("sales"), sum("revenue")],
    [10, 5000, 1, 1, 100000],
  );
});

test("anon key alone is 401 on every data route; no or a forged JWT is 401", async () => {
  for (const route of DATA_ROUTES) {
    const res = await api(route, { jwt: stackEnv().SUPABASE_ANON_KEY });
    assert.equal(res.status, 401, route);
    assert.equal(res.json.error.code, "unauthorized");
  }
  assert.equal((await api("/metrics")).status, 401);
  const forged = `${fx.a.jwt.slice(0, -4)}AAAA`;
  assert.equal((await api("/metrics", { jwt: forged })).status, 401);
});

test("health and openapi.json need no user", async () => {
  const anon = stackEnv().SUPABASE_ANON_KEY;
  const health = await api("/health", { jwt: anon });
  assert.deepEqual(health.json, { status: "ok", database: "up" });
  const doc = await api("/openapi.json", { jwt: anon });
  assert.equal(doc.json.openapi, "3.1.0");
});

test("an admin sees every team and the team-wide total, and may filter by user_id", async () => {
  const { a, b, admin } = fx;
  const all = await api("/metrics?period=7d", { jwt: admin.jwt });
  const users = all.json.data.map((r: { user_id: string | null }) => r.user_id);
  assert.ok(users.includes(a.id) && users.includes(b.id), "both teams");
  assert.ok(users.includes(null), "the total");
  assert.equal(users.at(-1), null, "the total comes last");
  const ranged = await api(`/metrics/range?${range}`, { jwt: admin.jwt });
  const rangedUsers = ranged.json.data.map((r: { user_id: string | null }) => r.user_id);
  assert.ok(rangedUsers.includes(a.id) && rangedUsers.includes(b.id));
  assert.equal(rangedUsers.at(-1), null, "the computed team total, last");
  const onlyB = await api(`/metrics?user_id=${b.id}`, { jwt: admin.jwt });
  assert.deepEqual(
    new Set(onlyB.json.data.map((r: { user_id: string }) => r.user_id)),
    new Set([b.id]),
  );
  const campaigns = await api(`/campaigns?${range}&level=ad`, { jwt: admin.jwt });
  const ads = campaigns.json.data.map((r: { ad_id: string }) => r.ad_id);
  assert.ok(ads.includes(a.adId) && ads.includes(b.adId));
  const daily = await api(`/daily?${range}&user_id=${b.id}`, { jwt: admin.jwt });
  // B: 20 EUR at 550 KZT/EUR, 500 KZT/USD; one lead; one active sale of 50000 (one reversed)
  assert.deepEqual(daily.json.data, [{
    date: DAY,
    spend_usd: "22.00",
    spend_kzt: "11000.00",
    impressions: 1000,
    clicks: 50,
    leads: 1,
    sales: 1,
    revenue: "50000.00",
    // no Meta-reported leads: the gap is the CRM's lead, and no % of zero
    meta_leads: 0,
    meta_leads_gap: -1,
    meta_leads_gap_pct: null,
  }]);
  const sync = await api("/sync-status", { jwt: admin.jwt });
  const jobs = sync.json.cron.map((j: { jobname: string }) => j.jobname);
  assert.ok(jobs.includes("fb-ads-sync") && jobs.includes("aggregate-metrics"), jobs.join());
});

test("a targetologist sees their own last sync outcome and no cron jobs", async () => {
  const res = await api("/sync-status", { jwt: fx.a.jwt });
  assert.equal(res.json.cron, null);
  const fb = res.json.runs.find((r: { sync_type: string }) => r.sync_type === "facebook_ads");
  assert.equal(fb.user_id, fx.a.id);
  assert.equal(fb.success, false);
  assert.match(fb.error_message, /token expired/);
  assert.ok(res.json.runs.every((r: { user_id: string }) => r.user_id === fx.a.id));
  // The definer function itself returns nothing to a non-admin, even called directly.
  const direct = await fx.a.client.rpc("traffic_cron_status");
  assert.deepEqual(direct.data, []);
});

test("a non-admin asking for another user's data gets 403", async () => {
  for (const route of ["/metrics", `/metrics/range?${range}`, `/daily?${range}`, "/campaigns"]) {
    const sep = route.includes("?") ? "&" : "?";
    const res = await api(`${route}${sep}user_id=${fx.b.id}`, { jwt: fx.a.jwt });
    assert.equal(res.status, 403, route);
    assert.equal(res.json.error.code, "forbidden");
  }
});

test("documented errors: bad date, unknown period, inverted or huge range, route, method", async () => {
  const jwt = fx.a.jwt;
  const cases: [string, number, string, string?][] = [
    ["/metrics/range?from=2026-02-30&to=2026-03-01", 400, "invalid_query"],
    ["/daily?from=yesterday&to=2026-03-01", 400, "invalid_query"],
    ["/metrics?period=1y", 400, "invalid_query"],
    ["/metrics/range?from=2026-03-01&to=2026-02-01", 400, "invalid_range"],
    ["/daily?from=2026-03-01&to=2026-02-01", 400, "invalid_range"],
    ["/metrics/range?from=2000-01-01&to=2026-01-01", 400, "range_too_large"],
    ["/campaigns?from=2024-01-01&to=2026-01-01", 400, "range_too_large"],
    ["/metrics/everything", 404, "not_found"],
    ["/metrics", 405, "method_not_allowed", "DELETE"],
  ];
  for (const [route, status, code, method] of cases) {
    const res = await api(route, { jwt, method });
    assert.equal(res.status, status, route);
    assert.equal(res.json.error.code, code, route);
  }
  const res = await api("/settings", { jwt, method: "POST", body: {} });
  assert.equal(res.headers.get("allow"), "GET, PUT, OPTIONS");
});

test("ETag through the gateway: If-None-Match answers 304 with no body", async () => {
  const first = await api("/metrics", { jwt: fx.a.jwt });
  const etag = first.headers.get("etag")!;
  assert.ok(etag);
  assert.match(first.headers.get("cache-control") ?? "", /max-age=60/);
  const again = await api("/metrics", { jwt: fx.a.jwt, headers: { "if-none-match": etag } });
  assert.equal(again.status, 304);
  assert.equal(again.text, "");
  const asB = await api("/metrics", { jwt: fx.b.jwt, headers: { "if-none-match": etag } });
  assert.equal(asB.status, 200, "another user's body has another tag");
});

test("CORS preflight through the gateway needs no JWT; only a configured origin is allowed", async () => {
  // scripts/test.sh starts the stack with CORS_ALLOWED_ORIGINS=https://dash.example.
  const res = await invokeFunction("traffic-api", {
    path: "/metrics",
    method: "OPTIONS",
    headers: { origin: "https://dash.example", "access-control-request-method": "GET" },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("access-control-allow-origin"), "https://dash.example");
  await res.body?.cancel();
  const other = await invokeFunction("traffic-api", {
    path: "/metrics",
    method: "OPTIONS",
    headers: { origin: "https://evil.example", "access-control-request-method": "GET" },
  });
  assert.equal(other.status, 403);
  assert.equal(other.headers.get("access-control-allow-origin"), null);
  await other.body?.cancel();
});

test("PUT /settings writes the token; GET shows only that one is set", async () => {
  const { a } = fx;
  const token = `EAA${crypto.randomUUID().replaceAll("-", "")}NEW`;
  fx.tokens.push(token);
  const put = await api("/settings", {
    jwt: a.jwt,
    method: "PUT",
    body: {
      fb_ad_accounts: ["123456789", "act_987"],
      tracked_campaigns: ["120237149691640477"],
      utm_sources: ["fb_a", "ig_a"],
      facebook_access_token: token,
      facebook_token_expires_at: "2026-03-01T00:00:00+05:00",
    },
  });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(put.json.fb_ad_accounts, ["act_123456789", "act_987"]);
  assert.deepEqual(put.json.facebook_token, {
    set: true,
    expires_at: "2026-02-28T19:00:00+00:00",
    status: null,
    status_at: null,
  });
  const [row] = await sql`select facebook_access_token from public.traffic_targetologist_settings
    where user_id = ${a.id}`;
  assert.equal(row.facebook_access_token, token, "stored");
  const get = await api("/settings", { jwt: a.jwt });
  assert.deepEqual(get.json.facebook_token.set, true);
  assert.deepEqual(get.json.utm_sources, ["fb_a", "ig_a"]);
  assert.ok(!("facebook_access_token" in get.json));

  const cleared = await api("/settings", {
    jwt: a.jwt,
    method: "PUT",
    body: { facebook_access_token: null },
  });
  assert.equal(cleared.json.facebook_token.set, false);
  const bad = await api("/settings", { jwt: a.jwt, method: "PUT", body: { team_name: "x" } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.code, "invalid_body");
});

test("a user without a settings row gets 404 on GET and PUT /settings", async () => {
  const get = await api("/settings", { jwt: fx.stranger.jwt });
  assert.equal(get.status, 404);
  assert.equal(get.json.error.code, "settings_not_found");
  const put = await api("/settings", {
    jwt: fx.stranger.jwt,
    method: "PUT",
    body: { utm_sources: ["x"] },
  });
  assert.equal(put.status, 404);
});

test("the response cache: a repeat is the same body, another user never gets it, a write shows at once", async () => {
  const { a, b, admin } = fx;
  const daily = `/daily?${range}`;
  const first = await api(daily, { jwt: a.jwt });
  const again = await api(daily, { jwt: a.jwt });
  assert.equal(again.status, 200);
  assert.equal(again.text, first.text, "unchanged data: the same body");
  assert.equal(again.headers.get("etag"), first.headers.get("etag"));
  // B asks the very same URL right after A: B's own numbers, never A's kept body.
  const theirs = await api(daily, { jwt: b.jwt });
  assert.notEqual(theirs.text, first.text);
  assert.ok(!theirs.text.includes(a.id));
  const all = await api(daily, { jwt: admin.jwt });
  assert.notEqual(all.text, first.text, "the admin's sum of every team, not A's");
  // A write of data the route reads (a lead of A on DAY) is in the next answer.
  const leadsBefore = first.json.data[0].leads;
  await sql`insert into public.traffic_leads (amocrm_lead_id, product, created_at, user_id,
      attributed_by) values (${Date.now()}, 'express', ${`${DAY}T09:00:00Z`}, ${a.id}, 'ad')`;
  const after = await api(daily, { jwt: a.jwt });
  assert.equal(after.json.data[0].leads, leadsBefore + 1, "the new lead is counted at once");
  const metrics = await api("/metrics", { jwt: a.jwt });
  await sql`update public.traffic_aggregated_metrics set spend_usd = 77.777
    where user_id = ${a.id} and period = 'today'`;
  const changed = await api("/metrics", { jwt: a.jwt });
  assert.notEqual(changed.text, metrics.text);
  assert.equal(
    changed.json.data.find((r: { period: string }) => r.period === "today").spend_usd,
    "77.78",
  );
});

test("no response of this file, nor the function's log, ever contained a token", async () => {
  assert.ok(bodies.length > 40, `${bodies.length} responses checked`);
  for (const token of fx.tokens) {
    for (const body of bodies) assert.ok(!body.includes(token), "a token leaked");
  }
  const stackDir = Deno.env.get("STACK_DIR") ?? new URL("../../.stack", import.meta.url).pathname;
  const log = await Deno.readTextFile(`${stackDir}/logs/fn-traffic-api.log`).catch(() => "");
  for (const token of fx.tokens) assert.ok(!log.includes(token), "a token reached the log");
});

test("cleanup", async () => {
  await fx.cleanup();
  await sql.end();
});
