/**
 * The local stack's API gateway: one port serving `/rest/v1/*` (PostgREST) and
 * `/functions/v1/<name>/*` (the project's functions, each in its own Deno process), with the
 * checks Supabase's gateway makes (see apiKeyAuth and functionAuth below for the documented rules):
 * an API key for the REST API — the legacy anon / service_role JWTs, or the new publishable and
 * secret keys, which it turns into a short-lived role JWT for PostgREST, as the hosted platform
 * does — and, for functions whose `verify_jwt` is on in `supabase/config.toml`, a valid JWT.
 *
 * Environment: GATEWAY_PORT, POSTGREST_URL, FUNCTIONS_RUN_DIR (where each function process
 * writes `fn-<name>.port`), CONFIG_TOML (one path, or several joined by `:`), and the keys:
 * SUPABASE_JWT_SECRET, SUPABASE_PUBLISHABLE_KEY, SUPABASE_SECRET_KEY (each read from
 * STACK_ENV_FILE when not set).
 */
import { readDotenv } from "../lib/stack-env.ts";
import { createGatewayAuth } from "./gateway-auth.ts";
import { readVerifyJwt } from "./config-toml.ts";
import { forward } from "./gateway-forward.ts";

const port = Number(Deno.env.get("GATEWAY_PORT"));
const postgrest = Deno.env.get("POSTGREST_URL")!;
const runDir = Deno.env.get("FUNCTIONS_RUN_DIR")!;
const envFile = Deno.env.get("STACK_ENV_FILE");
const fileEnv = envFile ? readDotenv(envFile) : {};
const setting = (k: string) => Deno.env.get(k) || fileEnv[k] || "";
const secret = setting("SUPABASE_JWT_SECRET");
/** The key checks of the hosted gateway, for the keys the stack minted (scripts/stack/keys.ts). */
const { apiKeyAuth, functionAuth } = createGatewayAuth({
  jwtSecret: secret,
  publishableKey: setting("SUPABASE_PUBLISHABLE_KEY"),
  secretKey: setting("SUPABASE_SECRET_KEY"),
});
const jwks = (() => {
  try {
    return JSON.parse(Deno.readTextFileSync(`${envFile?.replace(/\/env$/, "")}/jwks.json`));
  } catch {
    return { keys: [] };
  }
})();
// CONFIG_TOML may name several files separated by ":" (the bench adds bench/functions/config.toml).
const verifyJwtByFunction: Record<string, boolean> = Object.assign(
  {},
  ...Deno.env.get("CONFIG_TOML")!.split(":").filter(Boolean).map((f) =>
    readVerifyJwt(Deno.readTextFileSync(f))
  ),
);

/** The loopback port a function listens on (its process writes it at start), or null. */
function functionPort(name: string): number | null {
  try {
    const port = Number(Deno.readTextFileSync(`${runDir}/fn-${name}.port`).trim());
    return Number.isInteger(port) && port > 0 ? port : null;
  } catch {
    return null;
  }
}

function errorJson(status: number, message: string): Response {
  return Response.json({ code: status, message }, { status });
}

async function handle(req: Request): Promise<Response> {
  const url = new URL(req.url);
  if (url.pathname === "/_stack/health") return Response.json({ ok: true });

  // The project's public JWT signing keys (scripts/stack/keys.ts wrote them), as the Auth server
  // serves them (supabase.com/docs/guides/auth/jwts); none without the file.
  if (url.pathname === "/auth/v1/.well-known/jwks.json") return Response.json(jwks);

  if (url.pathname === "/rest/v1" || url.pathname.startsWith("/rest/v1/")) {
    const headers = await apiKeyAuth(req);
    if (headers instanceof Response) return headers;
    const rest = url.pathname.slice("/rest/v1".length) || "/";
    return await forward(req, `${postgrest}${rest}${url.search}`, headers);
  }

  const fn = url.pathname.match(/^\/functions\/v1\/([\w-]+)(\/.*)?$/);
  if (fn) {
    const [, name, rest = ""] = fn;
    const fnPort = functionPort(name);
    if (!fnPort) return errorJson(404, "Requested function was not found");
    if ((verifyJwtByFunction[name] ?? true) && req.method !== "OPTIONS") {
      const refused = await functionAuth(req);
      if (refused) return refused;
    }
    // Functions see their own name as the first path segment, as on Supabase.
    return await forward(
      req,
      `http://127.0.0.1:${fnPort}/${name}${rest}${url.search}`,
      new Headers(req.headers),
    );
  }
  // The dashboard page (its block above); every other path is a 404.
  const page = await serveDashboard(req, url);
  if (page) return page;
  return errorJson(404, "Not found");
}

// The dashboard page at /dashboard/: a module of its own.
import { serveDashboard } from "./dashboard-route.ts";

Deno.serve({
  hostname: "127.0.0.1",
  port,
  onListen: () => console.log(`[gateway] listening on http://127.0.0.1:${port}`),
}, handle);
