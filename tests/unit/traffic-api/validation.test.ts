/**
 * Every query parameter and body is validated before anything reaches the database; each failure
 * is a 400 with the documented code.
 */
import assert from "node:assert/strict";
import { addDays, periodRange } from "../../../supabase/functions/traffic-api/dates.ts";
import {
  checkRange,
  parseBody,
  settingsUpdate,
} from "../../../supabase/functions/traffic-api/validation.ts";
import { request, testHandler, userJwt } from "./helpers.ts";

const cases: [string, string][] = [
  ["/metrics?period=yesterday", "invalid_query"],
  ["/metrics?period=", "invalid_query"],
  ["/metrics?period=today,,7d", "invalid_query"],
  ["/metrics?user_id=not-a-uuid", "invalid_query"],
  ["/metrics?periods=today", "invalid_query"],
  ["/metrics/range?from=2026-13-01&to=2026-12-31", "invalid_query"],
  ["/metrics/range?from=2026-02-30&to=2026-03-01", "invalid_query"],
  ["/metrics/range?from=2026-1-1&to=2026-01-02", "invalid_query"],
  ["/metrics/range?from=2026-01-01", "invalid_query"],
  ["/metrics/range?from=2026-01-01&from=2026-01-02&to=2026-01-03", "invalid_query"],
  ["/metrics/range?from=2026-01-02&to=2026-01-01", "invalid_range"],
  ["/metrics/range?from=2020-01-01&to=2026-01-01", "range_too_large"],
  ["/daily?from=2026-01-01&to=2027-01-02", "range_too_large"],
  ["/daily?from=20260101&to=2026-01-02", "invalid_query"],
  ["/campaigns?level=keyword", "invalid_query"],
  ["/campaigns?period=7d&from=2026-01-01&to=2026-01-02", "invalid_query"],
  ["/campaigns?from=2026-01-01", "invalid_query"],
  ["/campaigns?limit=0", "invalid_query"],
  ["/campaigns?limit=1e2", "invalid_query"],
  ["/campaigns?offset=-1", "invalid_query"],
  ["/campaigns?from=2026-03-01&to=2026-02-01", "invalid_range"],
  ["/sync-status?verbose=1", "invalid_query"],
  ["/settings?x=1", "invalid_query"],
  ["/health?verbose", "invalid_query"],
];

Deno.test("bad query parameters are 400s with the documented codes, before any query", async () => {
  const { handler, sent } = testHandler();
  for (const [path, code] of cases) {
    const res = await handler(request(path, userJwt));
    assert.equal(res.status, 400, path);
    const body = await res.json();
    assert.equal(body.error.code, code, `${path}: ${body.error.message}`);
    assert.equal(typeof body.error.message, "string");
  }
  assert.equal(sent.length, 0);
});

Deno.test("a range of exactly 366 days is allowed, 367 is not", () => {
  assert.doesNotThrow(() => checkRange("2024-01-01", "2024-12-31")); // leap year: 366 days
  assert.throws(() => checkRange("2025-01-01", "2026-01-02"), /367 days/);
  assert.doesNotThrow(() => checkRange("2026-01-01", "2026-01-01"));
});

Deno.test("periods are local calendar days ending today in the time zone", () => {
  const now = new Date("2026-01-10T19:00:00Z"); // 00:00 on the 11th in Almaty (UTC+5)
  assert.deepEqual(periodRange("today", "Asia/Almaty", now), {
    from: "2026-01-11",
    to: "2026-01-11",
  });
  assert.deepEqual(periodRange("30d", "Asia/Almaty", now), {
    from: "2025-12-13",
    to: "2026-01-11",
  });
  assert.deepEqual(periodRange("7d", "UTC", now), { from: "2026-01-04", to: "2026-01-10" });
  assert.equal(addDays("2024-02-28", 1), "2024-02-29");
});

Deno.test("settings body: accounts normalised to act_<digits>, lists de-duplicated", () => {
  assert.deepEqual(
    parseBody({
      fb_ad_accounts: ["123", "act_123", "act_45"],
      tracked_campaigns: ["1", "1", "2"],
      utm_sources: [" fb_a ", "fb_a"],
    }, settingsUpdate),
    { fb_ad_accounts: ["act_123", "act_45"], tracked_campaigns: ["1", "2"], utm_sources: ["fb_a"] },
  );
  assert.deepEqual(parseBody({ facebook_access_token: null }, settingsUpdate), {
    facebook_access_token: null,
  });
});

Deno.test("settings body: unknown fields, bad ids, bad dates and empty bodies are 400", async () => {
  const { handler, sent } = testHandler();
  const token = "EAAsecretsecretsecret123456";
  const bodies: [string, string][] = [
    [JSON.stringify({}), "invalid_body"],
    [JSON.stringify({ team_name: "mine now" }), "invalid_body"],
    [JSON.stringify({ is_active: false }), "invalid_body"],
    [JSON.stringify({ fb_ad_accounts: ["act_12x"] }), "invalid_body"],
    [JSON.stringify({ fb_ad_accounts: "act_1" }), "invalid_body"],
    [JSON.stringify({ tracked_campaigns: ["abc"] }), "invalid_body"],
    [JSON.stringify({ utm_sources: [""] }), "invalid_body"],
    [JSON.stringify({ facebook_access_token: `${token} spaces` }), "invalid_body"],
    [JSON.stringify({ facebook_token_expires_at: "tomorrow" }), "invalid_body"],
    [JSON.stringify({ facebook_token_expires_at: "2026-01-01T00:00:00" }), "invalid_body"],
    ["[1,2]", "invalid_body"],
    ["{not json", "invalid_json"],
  ];
  for (const [body, code] of bodies) {
    const res = await handler(request("/settings", userJwt, { method: "PUT", body }));
    assert.equal(res.status, 400, body);
    const text = await res.text();
    assert.equal(JSON.parse(text).error.code, code, `${body}: ${text}`);
    assert.ok(!text.includes(token), "the token is never echoed");
  }
  assert.equal(sent.length, 0);
});
