/**
 * Prints the stack's env lines: a fresh JWT secret, the legacy anon / service-role keys signed with
 * it, and a publishable and a secret key of the new generation (`sb_publishable_…`,
 * `sb_secret_…`: random strings, not JWTs), as a Supabase project created today has both.
 *
 * With a third argument (the stack's folder) it also writes an asymmetric JWT signing key, as a
 * project on JWT signing keys has: `jwks.json` (the public key set the gateway serves at
 * /auth/v1/.well-known/jwks.json, plus the HS256 secret as an `oct` key: PostgREST's jwt-secret
 * file, `@jwks.json`... see start.sh) and `signing-key.jwk` (the private ES256 key tests sign
 * user tokens with).
 */
import { apiKeys } from "../lib/jwt.ts";

const [url, dbUrl, stackDir] = Deno.args;
const hex = (n: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, "0"))
    .join("");
const b64url = (n: number) =>
  btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(n))))
    .replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
const secret = hex(32);
const keys = await apiKeys(secret);
console.log(`SUPABASE_URL=${url}`);
console.log(`SUPABASE_ANON_KEY=${keys.anon}`);
console.log(`SUPABASE_SERVICE_ROLE_KEY=${keys.serviceRole}`);
console.log(`SUPABASE_PUBLISHABLE_KEY=sb_publishable_${b64url(24)}`);
console.log(`SUPABASE_SECRET_KEY=sb_secret_${b64url(24)}`);
console.log(`SUPABASE_DB_URL=${dbUrl}`);
console.log(`SUPABASE_JWT_SECRET=${secret}`);

if (stackDir) {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]);
  const kid = `local-es256-${hex(4)}`;
  const pub = {
    ...(await crypto.subtle.exportKey("jwk", pair.publicKey)),
    kid,
    alg: "ES256",
    use: "sig",
  };
  const priv = { ...(await crypto.subtle.exportKey("jwk", pair.privateKey)), kid, alg: "ES256" };
  const oct = {
    kty: "oct",
    alg: "HS256",
    k: btoa(secret).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, ""),
  };
  // Public set (what /auth/v1/.well-known/jwks.json serves) and PostgREST's key set (+ the secret).
  Deno.writeTextFileSync(`${stackDir}/jwks.json`, JSON.stringify({ keys: [pub] }));
  Deno.writeTextFileSync(`${stackDir}/postgrest-jwks.json`, JSON.stringify({ keys: [oct, pub] }));
  Deno.writeTextFileSync(`${stackDir}/signing-key.jwk`, JSON.stringify(priv));
  Deno.chmodSync(`${stackDir}/signing-key.jwk`, 0o600);
  Deno.chmodSync(`${stackDir}/postgrest-jwks.json`, 0o600);
}
