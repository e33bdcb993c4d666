/**
 * Test scaffolding for the Meta client: a scripted fake Graph API on msw, a fake clock whose
 * `sleep` only records the wait, fixtures, and secret-leak assertions.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { http, HttpResponse, setupServer } from "../../deps.ts";
import { memoryLogger } from "../../../supabase/functions/_shared/logger.ts";
import {
  createFacebookClient,
  type FacebookClientOptions,
  type InsightRow,
} from "../../../supabase/functions/_shared/facebook/mod.ts";

export const BASE = "https://graph.facebook.com";
export const VERSION = "v27.0";
export const ACCOUNT = "798085168510957";
/** Not shaped like a Meta token on purpose: the logger's shape-based redaction cannot hide it. */
export const TOKEN = "tok-Secret-9f8e7d6c5b4a3210";
export const APP_SECRET = "app-secret-0123456789";
export const PROOF = createHmac("sha256", APP_SECRET).update(TOKEN).digest("hex");
export const T0 = Date.UTC(2026, 4, 3, 6, 0, 0);

/** Reads a fixture as text (keeps big JSON numbers exactly as written). */
export function fixtureText(name: string): string {
  return Deno.readTextFileSync(new URL(`../../fixtures/facebook/${name}`, import.meta.url));
}

/** Reads a JSON fixture. */
export function fixture<T = unknown>(name: string): T {
  return JSON.parse(fixtureText(name)) as T;
}

/** A literal error payload from `errors.json`. */
export interface ErrorFixture {
  status: number;
  kind: string;
  headers?: Record<string, string>;
  body: unknown;
}

/** One of the literal error payloads as a `Response`, with extra headers. */
export function errorResponse(name: string, headers: Record<string, string> = {}): Response {
  const e = fixture<Record<string, ErrorFixture>>("errors.json")[name];
  assert.ok(e, `no error fixture ${name}`);
  return HttpResponse.json(e.body as Record<string, unknown>, {
    status: e.status,
    headers: { ...e.headers, ...headers },
  });
}

/** A fixture file served verbatim as JSON. */
export function pageResponse(name: string, headers: Record<string, string> = {}): Response {
  return new HttpResponse(fixtureText(name), {
    status: 200,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** A fake clock: `sleep` advances `now` and records each wait instead of sleeping. */
export function fakeClock(start = T0) {
  const clock = {
    t: start,
    waits: [] as number[],
    now: () => clock.t,
    sleep: (ms: number) => {
      clock.waits.push(ms);
      clock.t += ms;
      return Promise.resolve();
    },
  };
  return clock;
}

export type Responder = (url: URL, req: Request) => Response | Promise<Response>;

/**
 * Starts msw with one insights route that answers with `responders` in order (the last one
 * repeats), records every request URL, and errors on any other request.
 */
export function fakeGraph(responders: Responder[]) {
  const calls: URL[] = [];
  const server = setupServer(
    http.get(`${BASE}/:version/:account/insights`, ({ request }) => {
      const url = new URL(request.url);
      calls.push(url);
      const r = responders[Math.min(calls.length - 1, responders.length - 1)];
      return r(url, request);
    }),
  );
  server.listen({ onUnhandledRequest: "error" });
  return { calls, close: () => server.close() };
}

/** A client wired to the fake clock and a memory logger; `opts` override anything. */
export function makeClient(opts: Partial<FacebookClientOptions> = {}) {
  const clock = fakeClock();
  const logger = memoryLogger();
  const client = createFacebookClient({
    logger,
    graphUrl: BASE,
    apiVersion: VERSION,
    appSecret: APP_SECRET,
    sleep: clock.sleep,
    now: clock.now,
    random: () => 0.5, // jitter factor exactly 1.0
    ...opts,
  });
  return { client, clock, logger };
}

/** Default fetch params for the test account. */
export const params = (extra: Record<string, unknown> = {}) => ({
  token: TOKEN,
  accountId: `act_${ACCOUNT}`,
  since: "2026-05-01",
  until: "2026-05-03",
  ...extra,
});

/** Drains a stream, returning the batches; a thrown error is returned alongside. */
export async function drain(stream: AsyncIterable<InsightRow[]>) {
  const batches: InsightRow[][] = [];
  try {
    for await (const b of stream) batches.push(b);
  } catch (error) {
    return { batches, error };
  }
  return { batches, error: null as unknown };
}

/** Asserts no secret appears in any log line or in the error's message/stack. */
export function assertNoSecrets(lines: string[], error: unknown, secrets = [TOKEN, PROOF]) {
  for (const s of secrets) {
    for (const line of lines) assert.ok(!line.includes(s), `secret leaked into log: ${line}`);
    if (error instanceof Error) {
      assert.ok(!error.message.includes(s), `secret leaked into error: ${error.message}`);
      assert.ok(!String(error.stack).includes(s), "secret leaked into stack");
    }
  }
}

/**
 * A paged fake over `total` generated rows: serves `rows[after : after+limit]` with a `next`
 * URL while rows remain, like Meta's cursor paging.
 */
export function rowsResponder(total: number): Responder {
  return (url) => {
    const limit = Number(url.searchParams.get("limit"));
    const offset = Number(url.searchParams.get("after") ?? "0");
    const data = Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, i) => {
      const n = offset + i;
      return {
        account_id: ACCOUNT,
        account_name: "Acme Ads KZ",
        account_currency: "KZT",
        campaign_id: "23854404676180548",
        campaign_name: "Spring Sale",
        adset_id: "23854404706320548",
        adset_name: "KZ 18-35",
        ad_id: String(23854695759200000n + BigInt(n)),
        ad_name: `Ad ${n}`,
        spend: `${n}.25`,
        impressions: "100",
        clicks: "3",
        reach: "90",
        date_start: "2026-05-01",
        date_stop: "2026-05-01",
      };
    });
    const end = offset + data.length;
    const next = new URL(url);
    next.searchParams.set("after", String(end));
    return HttpResponse.json({
      data,
      paging: {
        cursors: { before: String(offset), after: String(end) },
        ...(end < total ? { next: next.toString() } : {}),
      },
    });
  };
}
