/** amocrm-webhook's config: what is required, what is optional, and the defaults. */
import assert from "node:assert/strict";
import { loadConfig } from "../../../supabase/functions/amocrm-webhook/config.ts";

const base = { SUPABASE_URL: "http://127.0.0.1:1", SUPABASE_SERVICE_ROLE_KEY: "key" };

Deno.test("loadConfig() names the missing Supabase variables", () => {
  assert.throws(
    () => loadConfig({}),
    /SUPABASE_URL.*SUPABASE_SERVICE_ROLE_KEY|SUPABASE_SERVICE_ROLE_KEY.*SUPABASE_URL/,
  );
});

Deno.test("loadConfig() keeps the AmoCRM variables optional and treats empty as unset", () => {
  const c = loadConfig({
    ...base,
    AMOCRM_WEBHOOK_SECRET: "",
    AMOCRM_ACCOUNT_ID: " ",
    AMOCRM_SUBDOMAIN: "",
  });
  assert.equal(c.AMOCRM_WEBHOOK_SECRET, undefined);
  assert.equal(c.AMOCRM_ACCOUNT_ID, undefined);
  assert.equal(c.AMOCRM_SUBDOMAIN, undefined);
  assert.equal(c.AMOCRM_MAX_BODY_BYTES, 1_048_576);
  assert.equal(c.AMOCRM_STORE_TIMEOUT_MS, 1_500);
  assert.equal(c.AMOCRM_DRAIN_DELAY_MS, 100);
});

Deno.test("loadConfig() takes AMOCRM_DRAIN_DELAY_MS from 0 (drain at once) to 1000 ms", () => {
  assert.equal(loadConfig({ ...base, AMOCRM_DRAIN_DELAY_MS: "0" }).AMOCRM_DRAIN_DELAY_MS, 0);
  assert.throws(
    () => loadConfig({ ...base, AMOCRM_DRAIN_DELAY_MS: "1001" }),
    /AMOCRM_DRAIN_DELAY_MS/,
  );
});

Deno.test("loadConfig() rejects a non-numeric AMOCRM_ACCOUNT_ID and budgets past AmoCRM's 2 s", () => {
  assert.throws(() => loadConfig({ ...base, AMOCRM_ACCOUNT_ID: "kaspi" }), /AMOCRM_ACCOUNT_ID/);
  assert.throws(
    () => loadConfig({ ...base, AMOCRM_STORE_TIMEOUT_MS: "5000" }),
    /AMOCRM_STORE_TIMEOUT_MS/,
  );
});
