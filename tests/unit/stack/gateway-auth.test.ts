/**
 * The local gateway's key checks (scripts/stack/gateway-auth.ts), as Supabase documents its hosted
 * gateway: a new key must be the project's and go in `apikey`; it is replaced by a short-lived
 * JWT of its role for PostgREST unless a user JWT comes with it; a secret key from a browser is
 * refused; `verify_jwt` functions take a valid JWT, or a project key on either header.
 */
import assert from "node:assert/strict";
import { apiKeys, userJwt, verifyJwt } from "../../../scripts/lib/jwt.ts";
import { createGatewayAuth } from "../../../scripts/stack/gateway-auth.ts";

const jwtSecret = "gateway-auth-unit-test-secret";
const legacy = await apiKeys(jwtSecret);
const publishableKey = "sb_publishable_unit_test_key";
const secretKey = "sb_secret_unit_test_key";
const { apiKeyAuth, functionAuth } = createGatewayAuth({ jwtSecret, publishableKey, secretKey });
const req = (headers: Record<string, string>) => new Request("http://gw/rest/v1/x", { headers });

async function forwardedRole(headers: Record<string, string>): Promise<unknown> {
  const out = await apiKeyAuth(req(headers));
  if (out instanceof Response) return out.status;
  const bearer = out.get("authorization")!.replace(/^Bearer /, "");
  return (await verifyJwt(bearer, jwtSecret))?.role ?? "unverifiable";
}

Deno.test("REST: a new key alone (or repeated as bearer) reaches PostgREST as its role's JWT", async () => {
  assert.equal(await forwardedRole({ apikey: secretKey }), "service_role");
  assert.equal(await forwardedRole({ apikey: publishableKey }), "anon");
  assert.equal(
    await forwardedRole({ apikey: secretKey, authorization: `Bearer ${secretKey}` }),
    "service_role",
  );
  assert.equal(await forwardedRole({ apikey: legacy.serviceRole }), "service_role");
  assert.equal(await forwardedRole({ authorization: `Bearer ${legacy.anon}` }), "anon");
});

Deno.test("REST: a user's JWT with a new key is passed on as it is", async () => {
  const jwt = await userJwt(jwtSecret, { id: crypto.randomUUID() });
  const out = await apiKeyAuth(req({ apikey: publishableKey, authorization: `Bearer ${jwt}` }));
  assert.ok(!(out instanceof Response));
  assert.equal(out.get("authorization"), `Bearer ${jwt}`);
});

Deno.test("REST: unknown keys, a new key only as bearer, none, or a secret key from a browser are 401", async () => {
  for (
    const headers of <Record<string, string>[]> [
      { apikey: "sb_secret_other_project" },
      { apikey: "sb_publishable_other_project" },
      { authorization: `Bearer ${secretKey}` },
      { apikey: `${legacy.anon.slice(0, -3)}AAA` },
      {},
      { apikey: secretKey, "user-agent": "Mozilla/5.0 (Macintosh) Safari/605.1.15" },
    ]
  ) {
    assert.equal(await forwardedRole(headers), 401, JSON.stringify(headers));
  }
  assert.equal(
    await forwardedRole({ apikey: publishableKey, "user-agent": "Mozilla/5.0 Firefox/120" }),
    "anon",
    "a publishable key is meant for browsers",
  );
});

Deno.test("verify_jwt functions: a valid JWT, or a project key on either header; else 401", async () => {
  const fn = (headers: Record<string, string>) =>
    functionAuth(new Request("http://gw/functions/v1/f", { headers }));
  assert.equal(await fn({ authorization: `Bearer ${legacy.anon}` }), null);
  assert.equal(await fn({ apikey: secretKey }), null);
  assert.equal(await fn({ authorization: `Bearer ${publishableKey}` }), null);
  assert.equal((await fn({}))?.status, 401);
  assert.equal((await fn({ apikey: "sb_secret_other" }))?.status, 401);
  assert.equal((await fn({ authorization: `Bearer ${legacy.anon.slice(0, -3)}AAA` }))?.status, 401);
});
