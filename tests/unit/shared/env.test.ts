/**
 * One rule for blank environment variables (`_shared/env.ts`): unset, empty and white space all
 * mean "not configured", so the default applies in every function. A blank TRAFFIC_TIMEZONE used
 * to crash aggregate-metrics and traffic-api at start while fb-ads-sync fell back to Asia/Almaty.
 */
import assert from "node:assert/strict";
import { loadConfig as aggregateMetrics } from "../../../supabase/functions/aggregate-metrics/config.ts";
import { loadConfig as amocrmSync } from "../../../supabase/functions/amocrm-sync/config.ts";
import { loadConfig as amocrmWebhook } from "../../../supabase/functions/amocrm-webhook/config.ts";
import { loadConfig as fbAdsSync } from "../../../supabase/functions/fb-ads-sync/config.ts";
import { loadConfig as trafficApi } from "../../../supabase/functions/traffic-api/config.ts";

const base = {
  SUPABASE_URL: "http://127.0.0.1:54321",
  SUPABASE_SERVICE_ROLE_KEY: "service-key",
  SUPABASE_ANON_KEY: "anon-key",
};

const withTimeZone = { aggregateMetrics, fbAdsSync, trafficApi };

Deno.test("a blank TRAFFIC_TIMEZONE falls back to Asia/Almaty in every function that reads it", () => {
  for (const [name, load] of Object.entries(withTimeZone)) {
    for (const blank of [undefined, "", "   "]) {
      const config = load({ ...base, TRAFFIC_TIMEZONE: blank });
      assert.equal(config.TRAFFIC_TIMEZONE, "Asia/Almaty", `${name} with ${JSON.stringify(blank)}`);
    }
    assert.equal(load({ ...base, TRAFFIC_TIMEZONE: "UTC" }).TRAFFIC_TIMEZONE, "UTC", name);
  }
});

Deno.test("an unknown TRAFFIC_TIMEZONE fails at start, naming the variable and the function", () => {
  for (const [name, load] of Object.entries(withTimeZone)) {
    assert.throws(
      () => load({ ...base, TRAFFIC_TIMEZONE: "Mars/Base" }),
      (err: Error) =>
        err.message.includes("TRAFFIC_TIMEZONE") &&
        err.message.includes(name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)),
      name,
    );
  }
});

Deno.test("blank optional settings are unset in every function (defaults apply, nothing fails)", () => {
  const blanks = {
    ...base,
    EXCHANGE_RATES_URL: " ",
    AGGREGATE_METRICS_ALLOW_WHAT_IF: "",
    AMOCRM_ACCESS_TOKEN: "",
    AMOCRM_SUBDOMAIN: " ",
    AMOCRM_API_URL: "",
    AMOCRM_SYNC_BUDGET_MS: "",
    AMOCRM_WEBHOOK_SECRET: "  ",
    AMOCRM_ACCOUNT_ID: "",
    AMOCRM_MAX_BODY_BYTES: " ",
    FB_SYNC_BUDGET_MS: "",
    CORS_ALLOWED_ORIGINS: " ",
    SUPABASE_PUBLISHABLE_KEY: "",
    SUPABASE_SECRET_KEYS: " ",
  };
  const agg = aggregateMetrics(blanks);
  assert.equal(agg.EXCHANGE_RATES_URL.startsWith("https://"), true);
  assert.equal(agg.AGGREGATE_METRICS_ALLOW_WHAT_IF, false);
  const sync = amocrmSync(blanks);
  assert.equal(sync.AMOCRM_ACCESS_TOKEN, undefined);
  assert.equal(sync.apiUrl, null);
  assert.equal(sync.AMOCRM_SYNC_BUDGET_MS, 110_000);
  const hook = amocrmWebhook(blanks);
  assert.equal(hook.AMOCRM_WEBHOOK_SECRET, undefined);
  assert.equal(hook.AMOCRM_ACCOUNT_ID, undefined);
  assert.equal(hook.AMOCRM_MAX_BODY_BYTES, 1_048_576);
  assert.equal(fbAdsSync(blanks).FB_SYNC_BUDGET_MS, 120_000);
  const api = trafficApi(blanks);
  assert.equal(api.CORS_ALLOWED_ORIGINS, "");
  assert.equal(api.SUPABASE_PUBLISHABLE_KEY, undefined);
});
