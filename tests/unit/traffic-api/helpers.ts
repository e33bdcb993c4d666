/**
 * Unit-test helpers for traffic-api: a handler with a stubbed `fetch` (what supabase-js would send
 * to PostgREST is recorded and answered from a function), and unsigned JWT look-alikes (the
 * gateway verifies signatures, so the function only reads the claims).
 *
 * @module
 */
import { memoryLogger } from "../../../supabase/functions/_shared/logger.ts";
import { loadConfig } from "../../../supabase/functions/traffic-api/config.ts";
import { createHandler } from "../../../supabase/functions/traffic-api/handler.ts";

export const BASE = "http://fn.local/traffic-api";
export const ANON_KEY = "anon-key-for-tests";
export const USER_ID = "11111111-1111-4111-8111-111111111111";
export const OTHER_ID = "22222222-2222-4222-8222-222222222222";

function b64url(s: string): string {
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** A JWT-shaped token with `claims` (not signed: the gateway checked the signature). */
export function fakeJwt(claims: Record<string, unknown>): string {
  return `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(JSON.stringify(claims))}.sig`;
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
export function testHandler(
  respond: Responder = () => Response.json([]),
  env: Record<string, string> = {},
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
    ...env,
  });
  const handler = createHandler({
    config,
    logger,
    fetch: fetchStub as typeof fetch,
    now: () => new Date("2026-01-10T20:30:00Z"), // already 2026-01-11 in Almaty
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
