import assert from "node:assert/strict";
import { loadConfig } from "../../../supabase/functions/fb-ads-sync/config.ts";
import { parseSyncRequest } from "../../../supabase/functions/fb-ads-sync/sync-request.ts";

const base = { SUPABASE_URL: "http://127.0.0.1:54321", SUPABASE_SERVICE_ROLE_KEY: "k" };

Deno.test("loadConfig() defaults: Almaty, a 120 s budget, pages of 500, Meta's newest version", () => {
  const c = loadConfig(base);
  assert.equal(c.TRAFFIC_TIMEZONE, "Asia/Almaty");
  assert.equal(c.FB_SYNC_BUDGET_MS, 120_000);
  assert.equal(c.FB_SYNC_PAGE_SIZE, 500);
  assert.equal(c.FB_SYNC_USER_CONCURRENCY, 2);
  assert.equal(c.FB_SYNC_ACCOUNT_CONCURRENCY, 2);
  assert.equal(c.facebook.graphUrl, "https://graph.facebook.com");
  assert.equal(c.facebook.apiVersion, "v27.0");
  assert.equal(c.facebook.fallbackToken, undefined, "a secret has no default");
  assert.equal(c.facebook.appSecret, undefined);
});

Deno.test("loadConfig() reads the Meta settings and the limits, blank meaning unset", () => {
  const c = loadConfig({
    ...base,
    FACEBOOK_GRAPH_URL: "http://127.0.0.1:54342/",
    FACEBOOK_API_VERSION: "v25.0",
    FACEBOOK_ADS_TOKEN: "fallback",
    FACEBOOK_APP_SECRET: "",
    FB_SYNC_BUDGET_MS: "60000",
    FB_SYNC_PAGE_SIZE: " ",
    TRAFFIC_TIMEZONE: "UTC",
  });
  assert.equal(c.facebook.graphUrl, "http://127.0.0.1:54342");
  assert.equal(c.facebook.apiVersion, "v25.0");
  assert.equal(c.facebook.fallbackToken, "fallback");
  assert.equal(c.facebook.appSecret, undefined);
  assert.equal(c.FB_SYNC_BUDGET_MS, 60_000);
  assert.equal(c.FB_SYNC_PAGE_SIZE, 500);
  assert.equal(c.TRAFFIC_TIMEZONE, "UTC");
});

Deno.test("loadConfig() names every missing or invalid variable", () => {
  assert.throws(() => loadConfig({}), /SUPABASE_URL: .*SUPABASE_SERVICE_ROLE_KEY: /);
  assert.throws(() => loadConfig({ ...base, TRAFFIC_TIMEZONE: "Mars/Base" }), /TRAFFIC_TIMEZONE/);
  assert.throws(() => loadConfig({ ...base, FB_SYNC_BUDGET_MS: "1000" }), /FB_SYNC_BUDGET_MS/);
  assert.throws(() => loadConfig({ ...base, FB_SYNC_PAGE_SIZE: "900" }), /FB_SYNC_PAGE_SIZE/);
  assert.throws(() => loadConfig({ ...base, FACEBOOK_API_VERSION: "21" }), /FACEBOOK_API_VERSION/);
  assert.throws(() => loadConfig({ ...base, FACEBOOK_GRAPH_URL: "ftp://x" }), /FACEBOOK_GRAPH_URL/);
});

Deno.test("parseSyncRequest(): {} and triggered_by fan out; user_id or a window sync", () => {
  const U = "00000000-0000-4000-8000-000000000001";
  assert.deepEqual(parseSyncRequest({}), { mode: "fan_out", triggeredBy: "api" });
  assert.deepEqual(parseSyncRequest({ triggered_by: "cron" }), {
    mode: "fan_out",
    triggeredBy: "cron",
  });
  assert.deepEqual(parseSyncRequest({ user_id: U, triggered_by: "cron" }), {
    mode: "sync",
    triggeredBy: "cron",
    userId: U,
    window: {},
  });
  assert.deepEqual(parseSyncRequest({ days: 30 }), {
    mode: "sync",
    triggeredBy: "manual",
    userId: null,
    window: { days: 30 },
  });
  assert.deepEqual(parseSyncRequest({ since: "2026-05-01", until: "2026-05-02", user_id: U }), {
    mode: "sync",
    triggeredBy: "manual",
    userId: U,
    window: { since: "2026-05-01", until: "2026-05-02" },
  });
});
