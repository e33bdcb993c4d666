import assert from "node:assert/strict";
import {
  backoffMs,
  parseUsageHeaders,
  throttleWait,
} from "../../../supabase/functions/_shared/facebook/mod.ts";
import { fixture } from "./helpers.ts";

const headers = fixture<Record<string, Record<string, string>>>("usage-headers.json");
const policy = { throttleBaseMs: 30_000, maxThrottleWaitMs: 600_000 };

Deno.test("parseUsageHeaders() reads all four headers and takes the highest utilisation", () => {
  const u = parseUsageHeaders(new Headers(headers.normal));
  assert.deepEqual(u, { maxUsagePct: 100, regainMs: null, accessTier: "standard_access" });
});

Deno.test("parseUsageHeaders() coerces string values; regain time is in minutes", () => {
  const u = parseUsageHeaders(new Headers(headers.strings));
  assert.equal(u.maxUsagePct, 96);
  assert.equal(u.regainMs, 7 * 60_000); // the longest of "7" and "2" minutes
  assert.equal(u.accessTier, "development_access");
});

Deno.test("parseUsageHeaders() turns a blocked ad account's reset_time_duration (seconds) into a wait", () => {
  const u = parseUsageHeaders(new Headers(headers.account_blocked));
  assert.equal(u.maxUsagePct, 100);
  assert.equal(u.regainMs, 180_000);
});

Deno.test("parseUsageHeaders() ignores malformed and absent headers", () => {
  assert.deepEqual(parseUsageHeaders(new Headers(headers.malformed)), {
    maxUsagePct: null,
    regainMs: null,
    accessTier: null,
  });
  assert.deepEqual(parseUsageHeaders(new Headers()), {
    maxUsagePct: null,
    regainMs: null,
    accessTier: null,
  });
});

Deno.test("backoffMs() doubles per attempt, jitters within ±20% and never exceeds the cap", () => {
  const mid = () => 0.5;
  assert.deepEqual([0, 1, 2, 3, 4].map((a) => backoffMs(a, 2_000, 30_000, mid)), [
    2_000,
    4_000,
    8_000,
    16_000,
    30_000,
  ]);
  assert.equal(backoffMs(0, 2_000, 30_000, () => 0), 1_600);
  assert.equal(backoffMs(0, 2_000, 30_000, () => 0.9999999), 2_400);
  assert.equal(backoffMs(10, 2_000, 30_000, () => 0.9999999), 30_000);
});

Deno.test("throttleWait() waits at least the backoff and at least Meta's regain time", () => {
  const none = { maxUsagePct: 100, regainMs: null, accessTier: null };
  assert.deepEqual(throttleWait(none, 0, policy, () => 0.5), { waitMs: 30_000, exceedsCap: false });
  assert.deepEqual(throttleWait(none, 1, policy, () => 0.5), { waitMs: 60_000, exceedsCap: false });
  const regain = { ...none, regainMs: 420_000 };
  assert.deepEqual(throttleWait(regain, 0, policy, () => 0.5), {
    waitMs: 420_000,
    exceedsCap: false,
  });
});

Deno.test("throttleWait() flags a regain time beyond the cap instead of sleeping that long", () => {
  const long = { maxUsagePct: 100, regainMs: 61 * 60_000, accessTier: null };
  assert.deepEqual(throttleWait(long, 0, policy, () => 0.5), {
    waitMs: 61 * 60_000,
    exceedsCap: true,
  });
});
