/**
 * The NBK client against a fake feed (msw): the request it makes, retries with backoff on fake
 * time, Retry-After, timeouts, the deadline, and the typed errors callers branch on.
 */
import assert from "node:assert/strict";
import { delay, http, HttpResponse, setupServer } from "../deps.ts";
import {
  createNbkClient,
  ExchangeRatesResponseError,
  ExchangeRatesUnavailableError,
  type NbkClientOptions,
} from "../../supabase/functions/_shared/exchange-rates/mod.ts";
import { memoryLogger } from "../../supabase/functions/_shared/logger.ts";

const FEED = "https://nbk.test/rss/get_rates.cfm";
const fixture = (name: string) =>
  Deno.readFileSync(new URL(`../fixtures/nbk/${name}`, import.meta.url));

const server = setupServer();
server.listen({ onUnhandledRequest: "error" });

/** A client on fake time: sleeps are recorded and advance the clock instead of waiting. */
function fakeTimeClient(opts: Partial<NbkClientOptions> = {}) {
  let clock = 0;
  const sleeps: number[] = [];
  const client = createNbkClient({
    baseUrl: FEED,
    fetch: (input, init) => globalThis.fetch(input, init),
    sleep: (ms) => {
      sleeps.push(ms);
      clock += ms;
      return Promise.resolve();
    },
    now: () => clock,
    logger: memoryLogger(),
    ...opts,
  });
  return { client, sleeps };
}

const xml = (body: Uint8Array | string, init: ResponseInit = {}) =>
  new HttpResponse(body, { headers: { "content-type": "text/xml" }, ...init });

function test(name: string, fn: () => Promise<void>) {
  Deno.test({
    name,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      server.resetHandlers();
      await fn();
    },
  });
}

test("ratesOn() asks for fdate=DD.MM.YYYY and returns the day's rates", async () => {
  const seen: string[] = [];
  server.use(http.get(FEED, ({ request }) => {
    seen.push(new URL(request.url).search);
    return xml(fixture("rates-2026-11-06.xml"));
  }));
  const { client, sleeps } = fakeTimeClient();
  const day = await client.ratesOn("2026-11-06");
  assert.deepEqual(seen, ["?fdate=06.11.2026"]);
  assert.equal(day.requestedDate, "2026-11-06");
  assert.equal(day.date, "2026-11-06");
  assert.equal(day.attempts, 1);
  assert.equal(day.rates.find((r) => r.currency === "USD")?.rateKzt, "470.15");
  assert.deepEqual(sleeps, []);
});

test("ratesOn() decodes a windows-1251 feed from its XML declaration", async () => {
  server.use(http.get(FEED, () => xml(fixture("rates-odd-2026-11-09.xml"))));
  const day = await fakeTimeClient().client.ratesOn("2026-11-09");
  assert.equal(day.rates.find((r) => r.currency === "USD")?.fullname, "ДОЛЛАР США <USD>");
});

test("ratesOn() retries 503s with exponential backoff, then succeeds", async () => {
  let calls = 0;
  server.use(http.get(FEED, () => {
    calls++;
    return calls < 3
      ? new HttpResponse("busy", { status: 503 })
      : xml(fixture("rates-2026-11-06.xml"));
  }));
  const { client, sleeps } = fakeTimeClient();
  const day = await client.ratesOn("2026-11-06");
  assert.equal(day.attempts, 3);
  assert.deepEqual(sleeps, [500, 1000]);
});

test("ratesOn() honours Retry-After on 429", async () => {
  let calls = 0;
  server.use(http.get(FEED, () => {
    calls++;
    return calls === 1
      ? new HttpResponse("slow down", { status: 429, headers: { "retry-after": "2" } })
      : xml(fixture("rates-empty-2026-11-08.xml"));
  }));
  const { client, sleeps } = fakeTimeClient();
  const day = await client.ratesOn("2026-11-08");
  assert.deepEqual(sleeps, [2000]);
  assert.deepEqual(day.rates, []);
});

test("ratesOn() gives up with ExchangeRatesUnavailableError after the last retry", async () => {
  server.use(http.get(FEED, () => new HttpResponse("down", { status: 500 })));
  const { client, sleeps } = fakeTimeClient({ retries: 2 });
  const err = await client.ratesOn("2026-11-06").catch((e) => e);
  assert.ok(err instanceof ExchangeRatesUnavailableError);
  assert.equal(err.attempts, 3);
  assert.equal(err.status, 500);
  assert.match(err.message, /unavailable for 2026-11-06 after 3 attempts: HTTP 500/);
  assert.deepEqual(sleeps, [500, 1000]);
});

test("ratesOn() treats a network error as unavailable", async () => {
  server.use(http.get(FEED, () => HttpResponse.error()));
  const err = await fakeTimeClient({ retries: 1 }).client.ratesOn("2026-11-06").catch((e) => e);
  assert.ok(err instanceof ExchangeRatesUnavailableError);
  assert.match(err.message, /network error/);
});

test("ratesOn() times out a slow attempt and reports it", async () => {
  server.use(http.get(FEED, async () => {
    await delay(500);
    return xml(fixture("rates-2026-11-06.xml"));
  }));
  const { client } = fakeTimeClient({ retries: 0, timeoutMs: 30 });
  const err = await client.ratesOn("2026-11-06").catch((e) => e);
  assert.ok(err instanceof ExchangeRatesUnavailableError);
  assert.match(err.message, /timed out after 30 ms/);
});

test("ratesOn() stops retrying when the deadline would pass", async () => {
  server.use(http.get(FEED, () => new HttpResponse("down", { status: 502 })));
  const { client, sleeps } = fakeTimeClient({ retries: 10, deadlineMs: 3000 });
  const err = await client.ratesOn("2026-11-06").catch((e) => e);
  assert.ok(err instanceof ExchangeRatesUnavailableError);
  assert.match(err.message, /deadline of 3000 ms/);
  assert.deepEqual(sleeps, [500, 1000], "the 2000 ms wait would end past 3000 ms");
});

test("ratesOn() fails at once with ExchangeRatesResponseError on a 404", async () => {
  server.use(http.get(FEED, () => new HttpResponse("no such page", { status: 404 })));
  const { client, sleeps } = fakeTimeClient();
  const err = await client.ratesOn("2026-11-06").catch((e) => e);
  assert.ok(err instanceof ExchangeRatesResponseError);
  assert.equal(err.status, 404);
  assert.equal(err.attempts, 1);
  assert.deepEqual(sleeps, []);
});

test("ratesOn() refuses a 200 that is not the feed (maintenance page)", async () => {
  server.use(http.get(FEED, () =>
    new HttpResponse(fixture("maintenance.html"), {
      headers: { "content-type": "text/html; charset=utf-8" },
    })));
  const err = await fakeTimeClient().client.ratesOn("2026-11-06").catch((e) => e);
  assert.ok(err instanceof ExchangeRatesResponseError);
  assert.match(err.message, /not a rates feed/);
});

Deno.test({
  name: "exchange rates client: close the fake feed",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => server.close(),
});
