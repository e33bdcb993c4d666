/**
 * `npm run invoke -- <function> [json]`: calls one edge function by hand and prints its answer
 * (the Supabase CLI has no `functions invoke` command). The local stack by default; a hosted
 * project with `--project-url https://<ref>.supabase.co` and the key from the environment.
 *
 * Service functions (fb-ads-sync, aggregate-metrics, amocrm-webhook's replay, amocrm-sync) get a
 * POST of the JSON body with a service key: SUPABASE_SECRET_KEY (sb_secret_…, sent as `apikey`
 * as the docs prescribe, and repeated as bearer the way supabase-js does) or the legacy
 * SUPABASE_SERVICE_ROLE_KEY. traffic-api gets a GET of `--path` with a user's access token
 * (`--jwt`, or env SUPABASE_USER_JWT; on the local stack `--as-user <uuid> [--admin]` signs one)
 * and the publishable (or anon) key.
 *
 * Prints the HTTP status line and the JSON answer (pretty) on stdout; exits 0 for 2xx, 1 for any
 * other answer, 2 for a usage or connection problem. Never prints a key.
 */
import { parseArgs } from "node:util";
import { fail, helpIfAsked } from "./lib/cli.ts";
import { userJwt } from "./lib/jwt.ts";
import { readDotenv, stackEnvFile } from "./lib/stack-env.ts";

const usage = `usage: npm run invoke -- <function> [json] [options]

Calls an edge function and prints its answer. Local stack by default.

  <function>            fb-ads-sync | aggregate-metrics | amocrm-webhook | traffic-api | …
  [json]                request body for a POST (default {}), e.g. '{"days": 3}'
  --path /metrics       sub-path (traffic-api: /metrics, /daily?from=…&to=…, /sync-status, …)
  --method GET|POST|PUT method (default: GET for traffic-api, POST otherwise)
  --project-url URL     a hosted project (https://<ref>.supabase.co) instead of the local stack
  --jwt TOKEN           a user's access token (traffic-api); or env SUPABASE_USER_JWT
  --as-user UUID        local stack only: sign a token for this user (add --admin for an admin)
  --curl                print the equivalent curl line (keys as $VARIABLES), do not call

Keys come from the environment, else from the local stack's .stack/env:
  service functions: SUPABASE_SECRET_KEY (sb_secret_…), else SUPABASE_SERVICE_ROLE_KEY
  traffic-api:       SUPABASE_PUBLISHABLE_KEY (sb_publishable_…), else SUPABASE_ANON_KEY

Examples:
  npm run invoke -- aggregate-metrics
  npm run invoke -- fb-ads-sync '{"days": 3}'
  npm run invoke -- amocrm-webhook '{"replay": "failed", "limit": 50}'
  npm run invoke -- traffic-api --path '/metrics?period=today' --as-user <uuid> --admin
  SUPABASE_SECRET_KEY=sb_secret_… npm run invoke -- aggregate-metrics \\
    --project-url https://<ref>.supabase.co`;

helpIfAsked(usage);
let parsed;
try {
  parsed = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      path: { type: "string", default: "" },
      method: { type: "string" },
      "project-url": { type: "string" },
      jwt: { type: "string" },
      "as-user": { type: "string" },
      admin: { type: "boolean", default: false },
      curl: { type: "boolean", default: false },
    },
  });
} catch (err) {
  fail(`${err instanceof Error ? err.message : err}\n${usage}`);
}
const { values: opt, positionals } = parsed;
const [name, rawBody] = positionals;
if (!name || !/^[a-z0-9][a-z0-9_-]*$/.test(name) || positionals.length > 2) {
  fail(`give one function name (and optionally a JSON body)\n${usage}`);
}
let body: unknown = {};
if (rawBody !== undefined) {
  try {
    body = JSON.parse(rawBody);
  } catch {
    fail(`the body is not JSON: ${rawBody}`);
  }
}

const hosted = opt["project-url"];
const file = hosted ? {} : readDotenv(stackEnvFile());
const setting = (k: string) => Deno.env.get(k) ?? (file as Record<string, string>)[k] ?? "";
const baseUrl = (hosted ?? setting("SUPABASE_URL")).replace(/\/+$/, "");
if (!baseUrl) fail("no project: start the local stack (npm run stack:start) or pass --project-url");
if (hosted && !/^https?:\/\/[^/]+$/.test(baseUrl)) {
  fail(`--project-url must look like https://<ref>.supabase.co (got ${hosted})`);
}

const isUserFunction = name === "traffic-api";
const method = (opt.method ?? (isUserFunction ? "GET" : "POST")).toUpperCase();
if (!["GET", "POST", "PUT", "DELETE"].includes(method)) fail(`--method ${method} is not supported`);
const path = opt.path && !opt.path.startsWith("/") ? `/${opt.path}` : opt.path;
const url = `${baseUrl}/functions/v1/${name}${path}`;

const headers: Record<string, string> = { "content-type": "application/json" };
const curlHeaders: string[] = [];
if (isUserFunction) {
  const apikeyVar = setting("SUPABASE_PUBLISHABLE_KEY")
    ? "SUPABASE_PUBLISHABLE_KEY"
    : "SUPABASE_ANON_KEY";
  const apikey = setting(apikeyVar);
  let jwt = opt.jwt ?? Deno.env.get("SUPABASE_USER_JWT") ?? "";
  if (!jwt && opt["as-user"]) {
    if (hosted) fail("--as-user signs with the local stack's secret; on a project pass --jwt");
    const secret = setting("SUPABASE_JWT_SECRET");
    if (!secret) fail("--as-user needs the local stack (its SUPABASE_JWT_SECRET)");
    jwt = await userJwt(secret, {
      id: opt["as-user"],
      appMetadata: opt.admin ? { traffic_role: "admin" } : {},
    });
  }
  if (apikey) headers.apikey = apikey;
  if (jwt) headers.authorization = `Bearer ${jwt}`;
  curlHeaders.push(`-H "apikey: $${apikeyVar}"`);
  curlHeaders.push(`-H "Authorization: Bearer $SUPABASE_USER_JWT"`);
} else {
  const secretKey = setting("SUPABASE_SECRET_KEY");
  const keyVar = secretKey ? "SUPABASE_SECRET_KEY" : "SUPABASE_SERVICE_ROLE_KEY";
  const key = secretKey || setting("SUPABASE_SERVICE_ROLE_KEY");
  if (!key && !opt.curl) {
    fail("no service key: set SUPABASE_SECRET_KEY (sb_secret_…) or SUPABASE_SERVICE_ROLE_KEY");
  }
  headers.apikey = key;
  curlHeaders.push(`-H "apikey: $${keyVar}"`);
  if (!key.startsWith("sb_")) {
    headers.authorization = `Bearer ${key}`;
    curlHeaders.push(`-H "Authorization: Bearer $${keyVar}"`);
  }
}

const sendsBody = method !== "GET" && method !== "DELETE";
if (opt.curl) {
  const data = sendsBody
    ? ` \\\n  -H 'Content-Type: application/json' -d '${JSON.stringify(body)}'`
    : "";
  console.log(`curl -sS -X ${method} '${url}' \\\n  ${curlHeaders.join(" \\\n  ")}${data}`);
  Deno.exit(0);
}

let res: Response;
try {
  res = await fetch(url, {
    method,
    headers,
    body: sendsBody ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(400_000),
  });
} catch (err) {
  const msg = err instanceof Error ? err.message : String(err);
  fail(
    /refused|os error 111/i.test(msg)
      ? `cannot reach ${baseUrl}: is the local stack running? (npm run stack:start)`
      : `request to ${url} failed: ${msg}`,
  );
}
const text = await res.text();
console.log(`HTTP ${res.status} ${res.statusText}`.trim());
try {
  console.log(JSON.stringify(JSON.parse(text), null, 2));
} catch {
  if (text) console.log(text);
}
Deno.exit(res.ok ? 0 : 1);
