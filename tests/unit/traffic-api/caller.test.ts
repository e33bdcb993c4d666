/**
 * traffic-api verifies its caller's JWT itself (caller.ts), so it runs with `verify_jwt = false`:
 * signature (HS256 legacy secret; ES256 / RS256 JWT signing keys from an inline or fetched JWKS),
 * `exp` required, `aud` and `role` "authenticated", `sub` a UUID — every other token is a 401 that
 * never reaches the database. The JWKS is fetched once and cached; an unknown kid refetches at
 * most every 30 s.
 */
import assert from "node:assert/strict";
import { JwtVerifier, TokenError } from "../../../supabase/functions/traffic-api/caller.ts";
import {
  emptyDatabase,
  fakeJwt,
  FAR_EXP,
  JWT_SECRET,
  request,
  testHandler,
  USER_ID,
} from "./helpers.ts";

function b64url(bytes: Uint8Array | string): string {
  const s = typeof bytes === "string" ? bytes : String.fromCharCode(...bytes);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

const user = { role: "authenticated", aud: "authenticated", sub: USER_ID, exp: FAR_EXP };

/** An asymmetric signing key as Supabase's JWT signing keys use, with its public JWK. */
async function signingKey(alg: "ES256" | "RS256", kid: string) {
  const params = alg === "ES256" ? { name: "ECDSA", namedCurve: "P-256" } : {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256",
  };
  const pair = await crypto.subtle.generateKey(params, true, ["sign", "verify"]) as CryptoKeyPair;
  const jwk = { ...(await crypto.subtle.exportKey("jwk", pair.publicKey)), kid, alg, use: "sig" };
  const sign = async (claims: Record<string, unknown>, header: Record<string, unknown> = {}) => {
    const h = b64url(JSON.stringify({ alg, typ: "JWT", kid, ...header }));
    const p = b64url(JSON.stringify(claims));
    const sig = await crypto.subtle.sign(
      alg === "ES256" ? { name: "ECDSA", hash: "SHA-256" } : { name: "RSASSA-PKCS1-v1_5" },
      pair.privateKey,
      new TextEncoder().encode(`${h}.${p}`),
    );
    return `${h}.${p}.${b64url(new Uint8Array(sig))}`;
  };
  return { jwk, sign };
}

async function statusOf(handler: (r: Request) => Promise<Response>, path: string, jwt: string) {
  const res = await handler(request(path, jwt));
  const body = await res.json().catch(() => null);
  return { status: res.status, body };
}

Deno.test("a validly signed token whose sub is not a UUID is 401 on /metrics, /settings, /sync-status (issue 12.6)", async () => {
  const { handler, sent } = testHandler();
  for (const sub of ["not-a-uuid", "", "1", "11111111-1111-4111-8111-11111111111Z"]) {
    for (const path of ["/metrics", "/settings", "/sync-status"]) {
      const { status, body } = await statusOf(handler, path, fakeJwt({ ...user, sub }));
      assert.equal(status, 401, `${path} sub=${sub}`);
      assert.equal(body.error.code, "unauthorized");
    }
  }
  assert.equal(sent.length, 0, "nothing reaches the database");
});

Deno.test("exp is required and must be in the future; aud and role must be authenticated (issue 12.8)", async () => {
  const { handler, sent } = testHandler();
  const cases: [string, Record<string, unknown>][] = [
    ["no exp", { ...user, exp: undefined }],
    ["exp not a number", { ...user, exp: "4102444800" }],
    ["expired", { ...user, exp: Math.floor(Date.parse("2026-01-10T20:00:00Z") / 1000) }],
    ["no aud", { ...user, aud: undefined }],
    ["other aud", { ...user, aud: "anon" }],
    ["aud list without authenticated", { ...user, aud: ["x", "y"] }],
    ["role anon", { ...user, role: "anon" }],
    ["role service_role", { ...user, role: "service_role" }],
    ["nbf in the future", { ...user, nbf: FAR_EXP - 10 }],
  ];
  for (const [what, claims] of cases) {
    const { status } = await statusOf(handler, "/metrics", fakeJwt(claims));
    assert.equal(status, 401, what);
  }
  const expired = await statusOf(handler, "/metrics", fakeJwt(cases[2][1]));
  assert.match(expired.body.error.message, /expired/);
  const list = await statusOf(
    handler,
    "/metrics",
    fakeJwt({ ...user, aud: ["x", "authenticated"] }),
  );
  assert.equal(list.status, 200, "an aud list containing authenticated is fine");
  assert.equal(sent.length, 1);
});

Deno.test("a forged signature, alg none, another algorithm or a garbled token is 401", async () => {
  const { handler, sent } = testHandler();
  const good = fakeJwt(user);
  const [h, p] = good.split(".");
  const forged = [
    fakeJwt(user, "another-secret"),
    `${h}.${p}.`,
    `${b64url('{"alg":"none","typ":"JWT"}')}.${p}.`,
    `${b64url('{"alg":"HS512","typ":"JWT"}')}.${p}.${good.split(".")[2]}`,
    `${b64url('{"alg":"constructor","typ":"JWT"}')}.${p}.${good.split(".")[2]}`,
    `${b64url('{"alg":"__proto__","typ":"JWT"}')}.${p}.${good.split(".")[2]}`,
    `${b64url('{"alg":"RS256","typ":"JWT"}')}.${p}.${good.split(".")[2]}`,
    `${b64url('{"alg":"ES256","typ":"JWT","kid":"nope"}')}.${p}.${good.split(".")[2]}`,
    `${h}.${b64url(JSON.stringify({ ...user, sub: "22222222-2222-4222-8222-222222222222" }))}.${
      good.split(".")[2]
    }`,
    "not.a.jwt",
    "%%%.%%%.%%%",
    good.slice(0, -2),
  ];
  for (const jwt of forged) {
    assert.equal((await statusOf(handler, "/metrics", jwt)).status, 401, jwt);
  }
  // The only network the unknown-kid token may cause is one JWKS fetch (the stub answers []).
  assert.ok(sent.every((s) => s.url.pathname === "/auth/v1/.well-known/jwks.json"), "no query ran");
});

Deno.test("without a JWT secret configured an HS256 token is refused", async () => {
  const { handler } = testHandler(undefined, { SUPABASE_JWT_SECRET: "" });
  assert.equal((await statusOf(handler, "/metrics", fakeJwt(user))).status, 401);
});

Deno.test("ES256 tokens verify with the inline SUPABASE_JWKS, no network", async () => {
  const key = await signingKey("ES256", "es-1");
  const { handler, sent } = testHandler(undefined, {
    SUPABASE_JWKS: JSON.stringify({ keys: [key.jwk] }),
  });
  const res = await handler(request("/metrics", await key.sign(user)));
  assert.equal(res.status, 200);
  await res.body?.cancel();
  assert.equal(sent.length, 1, "one query, no JWKS fetch");
  assert.match(sent[0].url.pathname, /^\/rest\/v1\//);
  const other = await signingKey("ES256", "es-1"); // same kid, another key: bad signature
  assert.equal((await statusOf(handler, "/metrics", await other.sign(user))).status, 401);
});

Deno.test("RS256 tokens verify with the JWKS fetched once from the Auth server and cached", async () => {
  const key = await signingKey("RS256", "rs-1");
  let fetches = 0;
  const { handler, sent } = testHandler((s) => {
    if (s.url.pathname === "/auth/v1/.well-known/jwks.json") {
      fetches++;
      return Response.json({ keys: [key.jwk] });
    }
    return emptyDatabase(s);
  });
  for (let i = 0; i < 5; i++) {
    const res = await handler(request("/metrics", await key.sign({ ...user, exp: FAR_EXP - i })));
    assert.equal(res.status, 200);
    await res.body?.cancel();
  }
  assert.equal(fetches, 1, "one JWKS fetch for five requests");
  assert.equal(sent[0].url.href, "http://db.local/auth/v1/.well-known/jwks.json");
  // An unknown kid: refused, and a burst of them refetches at most once (30 s minimum interval).
  const stranger = await signingKey("RS256", "rs-unknown");
  for (let i = 0; i < 5; i++) {
    assert.equal((await statusOf(handler, "/metrics", await stranger.sign(user))).status, 401);
  }
  assert.ok(fetches <= 2, `unknown kids caused ${fetches - 1} refetches`);
});

Deno.test("a remembered token is still refused once it expires", async () => {
  let now = Date.parse("2026-01-10T20:00:00Z");
  const v = new JwtVerifier({ hsSecrets: [JWT_SECRET], fetch, now: () => now });
  const jwt = fakeJwt({ ...user, exp: now / 1000 + 60 });
  assert.equal((await v.verify(jwt)).sub, USER_ID);
  assert.equal((await v.verify(jwt)).sub, USER_ID, "second use (remembered)");
  now += 61_000;
  await assert.rejects(() => v.verify(jwt), TokenError);
});

Deno.test("500 malformed or hostile tokens: every one is a 401, none a 500", async () => {
  const { handler, sent } = testHandler(() => Response.json({ keys: [] }));
  let seed = 20261202;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const algs = ["HS256", "ES256", "RS256", "EdDSA", "none", "HS512", 1, null, {}, "toString"];
  const payloads = [
    user,
    { ...user, sub: 42 },
    { ...user, exp: null },
    [],
    "x",
    { ...user, aud: {} },
    null,
  ];
  const junk = () => b64url(crypto.getRandomValues(new Uint8Array(rnd(40))));
  for (let i = 0; i < 500; i++) {
    const header = rnd(5) === 0 ? junk() : b64url(JSON.stringify({
      alg: algs[rnd(algs.length)],
      kid: rnd(2) ? "k" : undefined,
    }));
    const payload = rnd(5) === 0 ? junk() : b64url(JSON.stringify(payloads[rnd(payloads.length)]));
    const parts = [header, payload, junk()];
    const token = rnd(10) === 0 ? parts.slice(0, rnd(3)).join(".") : parts.join(".");
    const res = await handler(request("/metrics", token || "x"));
    assert.equal(res.status, 401, token);
    await res.body?.cancel();
  }
  assert.ok(sent.every((s) => s.url.pathname.endsWith("jwks.json")), "no query ran");
});
