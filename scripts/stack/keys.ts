/**
 * Prints the stack's env lines: a fresh JWT secret, the legacy anon / service-role keys signed with
 * it, and a publishable and a secret key of the new generation (`sb_publishable_…`,
 * `sb_secret_…`: random strings, not JWTs), as a Supabase project created today has both.
 */
import { apiKeys } from "../lib/jwt.ts";

const [url, dbUrl] = Deno.args;
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
