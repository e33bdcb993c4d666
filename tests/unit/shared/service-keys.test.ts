/**
 * _shared/auth.ts: a service caller is recognised by a secret key (`sb_secret_…`, in `apikey` as
 * the docs prescribe, or repeated as bearer as supabase-js sends it) or the legacy service_role
 * JWT; a publishable key or the anon key is a 403, anything else a 401. The config parsing of
 * `SUPABASE_SECRET_KEYS` (the platform's JSON dictionary) and the "at least one key" rule.
 */
import assert from "node:assert/strict";
import { apiKeys } from "../../../scripts/lib/jwt.ts";
import {
  apiKeyKind,
  requireServiceCaller,
  serviceClientKey,
  serviceKeySchema,
} from "../../../supabase/functions/_shared/auth.ts";
import { HttpError } from "../../../supabase/functions/_shared/http.ts";

const legacy = await apiKeys("unit-test-secret-for-service-keys");
const SECRET = "sb_secret_0123456789abcdefABCDEF_xyz";
const OTHER_SECRET = "sb_secret_second_key_for_billing";
const PUBLISHABLE = "sb_publishable_0123456789abcdef";

const config = serviceKeySchema.parse({
  SUPABASE_SECRET_KEYS: JSON.stringify({ default: SECRET, billing: OTHER_SECRET }),
  SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: PUBLISHABLE }),
  SUPABASE_SERVICE_ROLE_KEY: legacy.serviceRole,
});

function statusOf(
  headers: Record<string, string>,
  keys: Parameters<typeof requireServiceCaller>[1] = config,
) {
  try {
    requireServiceCaller(new Request("http://fn/x", { method: "POST", headers }), keys);
    return 200;
  } catch (err) {
    assert.ok(err instanceof HttpError);
    return err.status;
  }
}

Deno.test("a secret key in apikey (the documented header) is a service caller", () => {
  assert.equal(statusOf({ apikey: SECRET }), 200);
  assert.equal(statusOf({ apikey: OTHER_SECRET }), 200, "every named secret key counts");
});

Deno.test("supabase-js's way (the key in apikey and as bearer) and the legacy bearer both pass", () => {
  assert.equal(statusOf({ apikey: SECRET, authorization: `Bearer ${SECRET}` }), 200);
  assert.equal(statusOf({ authorization: `Bearer ${legacy.serviceRole}` }), 200);
  assert.equal(statusOf({ apikey: legacy.serviceRole }), 200);
});

Deno.test("a publishable key, the anon key or a user token is 403; unknown or none is 401", () => {
  assert.equal(statusOf({ apikey: PUBLISHABLE }), 403);
  assert.equal(statusOf({ authorization: `Bearer ${legacy.anon}` }), 403);
  assert.equal(statusOf({ apikey: "sb_secret_not_one_of_ours" }), 401);
  assert.equal(statusOf({ apikey: SECRET.slice(0, -1) }), 401, "a prefix of a key is not the key");
  assert.equal(statusOf({}), 401);
});

Deno.test("with only the new keys (legacy deactivated) the legacy JWT is no longer accepted", () => {
  const newOnly = serviceKeySchema.parse({ SUPABASE_SECRET_KEY: SECRET });
  assert.equal(statusOf({ apikey: SECRET }, newOnly), 200);
  assert.equal(statusOf({ authorization: `Bearer ${legacy.serviceRole}` }, newOnly), 401);
  assert.equal(serviceClientKey(newOnly), SECRET, "the function's own client uses the secret key");
});

Deno.test("with only the legacy key, the old string form still works", () => {
  assert.equal(
    statusOf({ authorization: `Bearer ${legacy.serviceRole}` }, legacy.serviceRole),
    200,
  );
  assert.equal(statusOf({ apikey: SECRET }, legacy.serviceRole), 401);
});

Deno.test("config: a secret key is preferred for the function's client; no key at all is an error", () => {
  assert.equal(serviceClientKey(config), SECRET);
  const none = serviceKeySchema.safeParse({
    SUPABASE_SERVICE_ROLE_KEY: "",
    SUPABASE_SECRET_KEY: " ",
  });
  assert.equal(none.success, false);
  assert.match(JSON.stringify(none.error?.issues), /SUPABASE_SECRET_KEYS/);
  const bad = serviceKeySchema.safeParse({ SUPABASE_SECRET_KEYS: "sb_secret_not_json" });
  assert.equal(bad.success, false, "SUPABASE_SECRET_KEYS must be the JSON dictionary");
});

Deno.test("apiKeyKind tells the generations apart", () => {
  assert.equal(apiKeyKind(SECRET), "secret");
  assert.equal(apiKeyKind(PUBLISHABLE), "publishable");
  assert.equal(apiKeyKind(legacy.anon), "jwt");
  assert.equal(apiKeyKind("nonsense"), "unknown");
});
