import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import {
  appSecretProof,
  DEFAULT_API_VERSION,
  parseFacebookEnv,
} from "../../../supabase/functions/_shared/facebook/mod.ts";

Deno.test("appSecretProof() is HMAC-SHA256 keyed by the app secret over the token, hex", async () => {
  const token = "EAAGm0PX4ZCpsBAKZCa1b2c3";
  const secret = "3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f";
  const expected = createHmac("sha256", secret).update(token).digest("hex");
  assert.equal(await appSecretProof(token, secret), expected);
  assert.match(expected, /^[0-9a-f]{64}$/);
  assert.notEqual(await appSecretProof(secret, token), expected); // key and message not swapped
});

Deno.test("parseFacebookEnv() defaults the base URL and version and keeps secrets optional", () => {
  assert.deepEqual(parseFacebookEnv({}), {
    graphUrl: "https://graph.facebook.com",
    apiVersion: DEFAULT_API_VERSION,
    appSecret: undefined,
    fallbackToken: undefined,
  });
  assert.equal(DEFAULT_API_VERSION, "v27.0");
  assert.deepEqual(
    parseFacebookEnv({
      FACEBOOK_GRAPH_URL: "http://127.0.0.1:54321/fake-graph/",
      FACEBOOK_API_VERSION: "v25.0",
      FACEBOOK_APP_SECRET: "s",
      FACEBOOK_ADS_TOKEN: "",
    }),
    {
      graphUrl: "http://127.0.0.1:54321/fake-graph",
      apiVersion: "v25.0",
      appSecret: "s",
      fallbackToken: undefined,
    },
  );
});

Deno.test("parseFacebookEnv() names the variable that is wrong", () => {
  assert.throws(
    () => parseFacebookEnv({ FACEBOOK_GRAPH_URL: "graph.facebook.com" }),
    /FACEBOOK_GRAPH_URL/,
  );
  assert.throws(() => parseFacebookEnv({ FACEBOOK_API_VERSION: "27" }), /FACEBOOK_API_VERSION/);
});
