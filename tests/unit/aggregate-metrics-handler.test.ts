/**
 * aggregate-metrics' handler with a fake store and a fake rates feed: who may call it, the body,
 * the lock, which days are fetched, the feed being down, a missing rate, and the history row.
 */
import assert from "node:assert/strict";
import { createHandler } from "../../supabase/functions/aggregate-metrics/handler.ts";
import { loadConfig } from "../../supabase/functions/aggregate-metrics/config.ts";
import type {
  AggregateSummary,
  AggregationStore,
  RateNeed,
  RateRow,
} from "../../supabase/functions/aggregate-metrics/store.ts";
import { type HistoryRow, StoreError } from "../../supabase/functions/_shared/store.ts";
import {
  ExchangeRatesUnavailableError,
  type NbkClient,
  type NbkDay,
} from "../../supabase/functions/_shared/exchange-rates/mod.ts";
import { memoryLogger } from "../../supabase/functions/_shared/logger.ts";

const SERVICE_KEY = "service-role-key-for-tests";
const baseEnv = {
  SUPABASE_URL: "http://127.0.0.1:1",
  SUPABASE_SERVICE_ROLE_KEY: SERVICE_KEY,
};
const config = loadConfig(baseEnv);
const fakeJwt = (role: string) =>
  `eyJhbGciOiJIUzI1NiJ9.${btoa(JSON.stringify({ role })).replaceAll("=", "")}.c2ln`;

const summary = (today: string): AggregateSummary => ({
  today,
  timezone: "Asia/Almaty",
  rows_written: 15,
  rows_deleted: 0,
  users: 4,
  periods: { today: [today, today], "7d": ["2026-11-03", today], "30d": ["2026-10-11", today] },
  missing_rates: [],
  attribution: { leads_updated: 1, sales_updated: 0 },
});

function fakeStore(opts: { locked?: boolean; needs?: RateNeed[]; aggregateError?: Error } = {}) {
  const calls = {
    history: [] as HistoryRow[],
    finished: [] as Partial<HistoryRow>[],
    upserted: [] as RateRow[],
    aggregate: [] as [string, string][],
    fullRequested: 0,
    released: 0,
    needs: [] as [string, string][],
  };
  const store: AggregationStore = {
    tryLock: () => Promise.resolve(opts.locked ? null : "holder-1"),
    releaseLock: () => (calls.released++, Promise.resolve(true)),
    rateDatesNeeded: (
      from,
      to,
    ) => (calls.needs.push([from, to]), Promise.resolve(opts.needs ?? [])),
    upsertRates: (rows) => (calls.upserted.push(...rows), Promise.resolve()),
    requestFullRun: () => (calls.fullRequested++, Promise.resolve()),
    aggregate: (tz, today) => {
      calls.aggregate.push([tz, today]);
      return opts.aggregateError
        ? Promise.reject(opts.aggregateError)
        : Promise.resolve(summary(today));
    },
    startHistory: (row) => (calls.history.push(structuredClone(row)), Promise.resolve(42)),
    finishHistory: (_id, row) => (calls.finished.push(structuredClone(row)), Promise.resolve()),
  };
  return { store, calls };
}

function fakeNbk(answer: (day: string) => NbkDay | Error) {
  const asked: string[] = [];
  const nbk: NbkClient = {
    ratesOn(day) {
      asked.push(day);
      const a = answer(day);
      return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
    },
  };
  return { nbk, asked };
}

const usdDay = (day: string, rate = "470.15"): NbkDay => ({
  requestedDate: day,
  date: day,
  attempts: 1,
  skipped: [],
  rates: [
    { currency: "USD", fullname: null, value: rate, quant: 1, rateKzt: rate },
    { currency: "EUR", fullname: null, value: "544.3", quant: 1, rateKzt: "544.3" },
  ],
});

function setup(
  store: AggregationStore,
  nbk: NbkClient,
  nowIso = "2026-11-08T19:30:00Z",
  env: Record<string, string> = {},
) {
  return createHandler({
    config: { ...config, ...loadConfig({ ...baseEnv, ...env }) },
    logger: memoryLogger(),
    store,
    nbk,
    now: () => Date.parse(nowIso),
  });
}

const post = (body: unknown, auth: string | null = SERVICE_KEY) =>
  new Request("http://fn/aggregate-metrics", {
    method: "POST",
    headers: auth ? { authorization: `Bearer ${auth}` } : {},
    body: body === undefined ? undefined : JSON.stringify(body),
  });

Deno.test("aggregate-metrics: no key 401, anon key 403, user JWT 403, GET 405", async () => {
  const { store, calls } = fakeStore();
  const h = setup(store, fakeNbk(usdDay).nbk);
  assert.equal((await h(post({}, null))).status, 401);
  assert.equal((await h(post({}, fakeJwt("anon")))).status, 403);
  assert.equal((await h(post({}, fakeJwt("authenticated")))).status, 403);
  const get = await h(
    new Request("http://fn/aggregate-metrics", {
      headers: { authorization: `Bearer ${SERVICE_KEY}` },
    }),
  );
  assert.equal(get.status, 405);
  assert.equal(calls.aggregate.length, 0);
});

Deno.test("aggregate-metrics: a body with an unknown key or a bad date is a 400", async () => {
  const h = setup(fakeStore().store, fakeNbk(usdDay).nbk);
  for (const body of [{ nope: 1 }, { today: "2026-02-30" }, { sync_type: "facebook_ads" }]) {
    const res = await h(post(body));
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal((await res.json()).error.code, "invalid_body");
  }
});

Deno.test("aggregate-metrics: fetches only the missing days, aggregates, records the run", async () => {
  const { store, calls } = fakeStore({
    needs: [
      { currency: "USD", rate_date: "2026-11-06" },
      { currency: "EUR", rate_date: "2026-11-09" },
      { currency: "USD", rate_date: "2026-11-09" },
    ],
  });
  const { nbk, asked } = fakeNbk(usdDay);
  const res = await setup(store, nbk)(post({ triggered_by: "test" }));
  assert.equal(res.status, 200);
  const body = await res.json();
  // 2026-11-08 19:30 UTC is 00:30 on 2026-11-09 in Almaty.
  assert.equal(body.today, "2026-11-09");
  assert.deepEqual(calls.needs, [["2026-10-11", "2026-11-09"]]);
  assert.deepEqual(asked.sort(), ["2026-11-06", "2026-11-09"]);
  assert.deepEqual(calls.upserted.map((r) => `${r.rate_date} ${r.currency} ${r.rate_kzt}`).sort(), [
    "2026-11-06 EUR 544.3",
    "2026-11-06 USD 470.15",
    "2026-11-09 EUR 544.3",
    "2026-11-09 USD 470.15",
  ]);
  assert.deepEqual(calls.aggregate, [["Asia/Almaty", "2026-11-09"]]);
  assert.equal(body.rows_written, 15);
  assert.equal(body.users, 4);
  assert.deepEqual(body.warnings, []);
  assert.equal(calls.history[0].sync_type, "aggregation");
  assert.equal(calls.history[0].triggered_by, "test");
  assert.equal(calls.history[0].success, null, "the row says 'running' while it runs");
  assert.equal(calls.finished[0].success, true);
  assert.equal(calls.finished[0].records_synced, 15);
  assert.equal(calls.finished[0].users_processed, 4);
  assert.equal(calls.released, 1);
});

Deno.test("aggregate-metrics: a what-if today is refused (400) and nothing is written", async () => {
  const { store, calls } = fakeStore();
  // now is 2026-11-09 00:30 in Almaty
  const handler = setup(store, fakeNbk(usdDay).nbk);
  const res = await handler(post({ today: "2026-11-01" }));
  assert.equal(res.status, 400);
  const { error } = await res.json();
  assert.equal(error.code, "what_if_not_allowed");
  assert.match(error.message, /2026-11-01 is not today in Asia\/Almaty \(2026-11-09\)/);
  assert.deepEqual(calls.aggregate, [], "the live rows are not touched");
  assert.equal(calls.history.length, 0);
  const real = await handler(post({ today: "2026-11-09" }));
  assert.equal(real.status, 200, "naming the real today is an ordinary run");
  await real.body?.cancel();
  assert.deepEqual(calls.aggregate, [["Asia/Almaty", "2026-11-09"]]);
});

Deno.test("aggregate-metrics: today and sync_type from the body (what-if allowed)", async () => {
  const { store, calls } = fakeStore();
  const res = await setup(store, fakeNbk(usdDay).nbk, undefined, {
    AGGREGATE_METRICS_ALLOW_WHAT_IF: "true",
  })(
    post({ today: "2026-11-01", sync_type: "full" }),
  );
  assert.equal(res.status, 200);
  assert.deepEqual(calls.aggregate, [["Asia/Almaty", "2026-11-01"]]);
  assert.equal(calls.history[0].sync_type, "full");
});

Deno.test("aggregate-metrics: a held lock answers 409 and records a skipped run", async () => {
  const { store, calls } = fakeStore({ locked: true });
  const res = await setup(store, fakeNbk(usdDay).nbk)(post({}));
  assert.equal(res.status, 409);
  assert.equal((await res.json()).error.code, "run_in_progress");
  assert.equal(calls.aggregate.length, 0);
  assert.equal(calls.released, 0, "a lock it does not hold is not released");
  assert.equal(calls.history[0].success, false);
  assert.deepEqual(calls.history[0].details?.skipped, true);
});

Deno.test("aggregate-metrics: the feed down -> last known rates, a warning, success", async () => {
  const { store, calls } = fakeStore({
    needs: [
      { currency: "USD", rate_date: "2026-11-05" },
      { currency: "USD", rate_date: "2026-11-06" },
      { currency: "USD", rate_date: "2026-11-09" },
    ],
  });
  const { nbk, asked } = fakeNbk(() =>
    new ExchangeRatesUnavailableError("feed down: HTTP 503", 4, 503)
  );
  const res = await setup(store, nbk)(post({}));
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.ok(asked.length <= 3 && asked.length >= 1, "stops asking once the feed is down");
  assert.match(body.warnings[0], /feed unavailable: continuing with the last known rates/);
  assert.equal(body.rates.source_down, true);
  assert.equal(calls.aggregate.length, 1);
  assert.equal(calls.finished[0].success, true);
  assert.match(JSON.stringify(calls.finished[0].details), /last known rates/);
});

Deno.test("aggregate-metrics: a missing rate fails the run loudly (503 + history)", async () => {
  const err = new StoreError(
    "traffic_aggregate_metrics",
    "missing exchange rate: no USD rate on or before 2026-11-07",
    "TS001",
  );
  const { store, calls } = fakeStore({ aggregateError: err });
  const res = await setup(store, fakeNbk(usdDay).nbk)(post({}));
  assert.equal(res.status, 503);
  const body = await res.json();
  assert.equal(body.error.code, "missing_exchange_rate");
  assert.equal(body.error.message, "missing exchange rate: no USD rate on or before 2026-11-07");
  assert.equal(calls.finished[0].success, false);
  assert.equal(calls.finished[0].error_message, err.message);
  assert.equal(calls.released, 1, "the lock is released on failure");
});

Deno.test("aggregate-metrics: any other failure is a 500 that leaks nothing", async () => {
  const err = new StoreError("traffic_aggregate_metrics", 'relation "x" does not exist', "42P01");
  const { store, calls } = fakeStore({ aggregateError: err });
  const res = await setup(store, fakeNbk(usdDay).nbk)(post({}));
  assert.equal(res.status, 500);
  const body = await res.json();
  assert.equal(body.error.code, "aggregation_failed");
  assert.doesNotMatch(body.error.message, /relation/);
  assert.equal(calls.finished[0].error_message, err.message, "the history keeps the cause");
  assert.equal(calls.released, 1);
});

Deno.test("aggregate-metrics: sync_type full asks for a full run before aggregating; a scheduled run does not", async () => {
  const nbk = fakeNbk((day) => usdDay(day)).nbk;
  const full = fakeStore();
  const res = await setup(full.store, nbk)(post({ sync_type: "full" }));
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(full.calls.fullRequested, 1);
  assert.equal(full.calls.aggregate.length, 1);
  const scheduled = fakeStore();
  const res2 = await setup(scheduled.store, nbk)(post({}));
  assert.equal(res2.status, 200);
  assert.equal(scheduled.calls.fullRequested, 0);
  assert.equal(scheduled.calls.aggregate.length, 1);
});
