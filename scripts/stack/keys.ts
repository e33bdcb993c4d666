/** Prints the stack's env lines: a fresh JWT secret and the anon / service-role keys signed with it. */
import { apiKeys } from "../lib/jwt.ts";

const [url, dbUrl] = Deno.args;
const bytes = crypto.getRandomValues(new Uint8Array(32));
const secret = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const keys = await apiKeys(secret);
console.log(`SUPABASE_URL=${url}`);
console.log(`SUPABASE_ANON_KEY=${keys.anon}`);
console.log(`SUPABASE_SERVICE_ROLE_KEY=${keys.serviceRole}`);
console.log(`SUPABASE_DB_URL=${dbUrl}`);
console.log(`SUPABASE_JWT_SECRET=${secret}`);
