/**
 * Unit-test helpers for traffic-api: a handler with a stubbed `fetch` (what supabase-js would send
 * to PostgREST is recorded and answered from a function), and user access tokens signed with the
 * test config's JWT secret (traffic-api verifies them itself: caller.ts).
 *
 * @module
 */
import { createHmac } from "node:crypto";
import { memoryLogger } from "../../../supabase/functions/_shared/logger.ts";
import { loadConfig } from "../../../supabase/functions/traffic-api/config.ts";
import { createHandler } from "../../../supabase/functions/traffic-api/handler.ts";

export const BASE = "http://fn.local/traffic-api";
export const ANON_KEY = "anon-key-for-tests";
/** The HS256 secret the test config verifies tokens with. */
export const JWT_SECRET = "jwt-secret-for-traffic-api-unit-tests";
/** Far in the future (2100-01-01), so test tokens never expire. */
export const FAR_EXP = 4_102_444_800;
export const USER_ID = "11111111-1111-4111-8111-111111111111";
export const OTHER_ID = "22222222-2222-4222-8222-222222222222";

function b64url(s: string): string {
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * An HS256 token with `claims`, signed with {@link JWT_SECRET} (or `secret`). `aud` and `exp`
 * default to a valid user token's; pass `exp: undefined` to leave one out.
 */
export function fakeJwt(claims: Record<string, unknown>, secret = JWT_SECRET): string {
  const body = b64url(JSON.stringify({ aud: "authenticated", exp: FAR_EXP, ...claims }));
  const head = b64url('{"alg":"HS256","typ":"JWT"}');
  const sig = createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${sig}`;
}

export const userJwt = fakeJwt({ role: "authenticated", sub: USER_ID });
export const adminJwt = fakeJwt({
  role: "authenticated",
  sub: OTHER_ID,
  app_metadata: { traffic_role: "admin" },
});
export const anonJwt = fakeJwt({ role: "anon" });

export interface Sent {
  url: URL;
  method: string;
  headers: Headers;
  body: string | null;
}

export type Responder = (req: Sent) => Response | Promise<Response>;

/** A handler whose database answers with `respond`; `sent` records every outgoing request. */
/** The metrics routes' page functions answer one JSON object; every other read an array. */
export const PAGE_FUNCTIONS = /\/rpc\/traffic_api_metrics(_range)?_page$/;

/** An empty database: no rows, no teams. */
export const emptyDatabase: Responder = (s) =>
  Response.json(PAGE_FUNCTIONS.test(s.url.pathname) ? { teams_total: 0, data: [] } : []);

export function testHandler(
  respond: Responder = emptyDatabase,
  env: Record<string, string> = {},
  now: () => Date = () => new Date("2026-01-10T20:30:00Z"), // already 2026-01-11 in Almaty
) {
  const sent: Sent[] = [];
  const logger = memoryLogger();
  const fetchStub = async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    const s: Sent = {
      url: new URL(req.url),
      method: req.method,
      headers: req.headers,
      body: req.body ? await req.text() : null,
    };
    sent.push(s);
    return await respond(s);
  };
  const config = loadConfig({
    SUPABASE_URL: "http://db.local",
    SUPABASE_ANON_KEY: ANON_KEY,
    SUPABASE_JWT_SECRET: JWT_SECRET,
    // The response cache adds a call per request; its own tests (response-cache.test.ts) turn it on.
    TRAFFIC_API_RESPONSE_CACHE: "off",
    ...env,
  });
  const handler = createHandler({
    config,
    logger,
    fetch: fetchStub as typeof fetch,
    now,
  });
  return { handler, sent, logger };
}

/** A GET (or `init.method`) of `path` with the given bearer token. */
export function request(path: string, jwt?: string, init: RequestInit = {}): Request {
  const headers = new Headers(init.headers);
  if (jwt) headers.set("authorization", `Bearer ${jwt}`);
  headers.set("apikey", ANON_KEY);
  return new Request(`${BASE}${path}`, { ...init, headers });
}
