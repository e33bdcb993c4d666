import assert from "node:assert/strict";
import type { SupabaseClient } from "../../../supabase/functions/_shared/deps.ts";
import { memoryLogger } from "../../../supabase/functions/_shared/logger.ts";
import { loadConfig } from "../../../supabase/functions/fb-ads-sync/config.ts";
import { createHandler } from "../../../supabase/functions/fb-ads-sync/handler.ts";
import { createStore } from "../../../supabase/functions/fb-ads-sync/store.ts";
import { StoreUnavailableError } from "../../../supabase/functions/_shared/store.ts";
import { grant, graphModel, makeAccount } from "../../fakes/graph-api.ts";
import { assertNoToken, BASE, fakeClock, memoryStore, startGraph, target } from "./helpers.ts";

const SERVICE_KEY = "service-role-key-for-tests";
const TOKEN = "tok-Secret-handler-0123456789";
const U1 = "00000000-0000-4000-8000-000000000001";
const U2 = "00000000-0000-4000-8000-000000000002";

const jwt = (claims: Record<string, unknown>) =>
  `eyJhbGciOiJIUzI1NiJ9.${btoa(JSON.stringify(claims)).replace(/=+$/, "")}.c2ln`;

function setup(targets = [target(U1, TOKEN, ["901"]), target(U2, TOKEN, ["902"])]) {
  const model = graphModel();
  grant(model, TOKEN, makeAccount({ id: "901" }), makeAccount({ id: "902", adsPerCampaign: 3 }));
  const store = memoryStore(targets);
  const clock = fakeClock(); // 2026-05-03 06:00 UTC = 11:00 in Almaty
  const logger = memoryLogger();
  const config = loadConfig({
    SUPABASE_URL: "http://127.0.0.1:1",
    SUPABASE_SERVICE_ROLE_KEY: SERVICE_KEY,
    FACEBOOK_GRAPH_URL: BASE,
  });
  const handler = createHandler({
    config,
    logger,
    supabase: () => ({}) as SupabaseClient,
    store: () => store,
    fetch: (input, init) => fetch(input, init),
    sleep: clock.sleep,
    now: clock.now,
  });
  const call = (body?: unknown, headers: Record<string, string> = {}, method = "POST") =>
    handler(
      new Request("http://fn.local/fb-ads-sync", {
        method,
        headers: { authorization: `Bearer ${SERVICE_KEY}`, ...headers },
        body: body === undefined
          ? undefined
          : typeof body === "string"
          ? body
          : JSON.stringify(body),
      }),
    );
  return { model, store, logger, call, handler };
}

Deno.test("fb-ads-sync answers POST only, on its own path", async () => {
  const { call, handler } = setup();
  const get = await call(undefined, {}, "GET");
  assert.equal(get.status, 405);
  assert.equal(get.headers.get("allow"), "POST");
  const other = await handler(new Request("http://fn.local/fb-ads-sync/x", { method: "POST" }));
  assert.equal(other.status, 404);
});

Deno.test("only service callers may start a sync: 401 without a key, 403 for anon and users", async () => {
  const { call, store } = setup();
  const cases: [Record<string, string>, number][] = [
    [{ authorization: "" }, 401],
    [{ authorization: "Bearer not-a-key" }, 401],
    [{ authorization: `Bearer ${jwt({ role: "anon" })}` }, 403],
    [{ authorization: `Bearer ${jwt({ role: "authenticated", sub: U1 })}` }, 403],
  ];
  for (const [headers, status] of cases) {
    const res = await call({}, headers);
    assert.equal(res.status, status, JSON.stringify(headers));
    assert.equal((await res.json()).error.code, status === 401 ? "unauthorized" : "forbidden");
  }
  assert.equal(store.history.length, 0, "nothing runs, nothing is recorded");
  const viaApikey = await call({}, { authorization: "", apikey: SERVICE_KEY });
  assert.equal(viaApikey.status, 202);
});

Deno.test("a body that is not one of the documented shapes is a 400 that says why", async () => {
  const { call, store } = setup();
  const cases: [unknown, RegExp][] = [
    ["{not json", /not valid JSON/],
    [[1, 2], /expected a JSON object/],
    [{ user: U1 }, /unknown field\(s\) user/],
    [{ user_id: "42" }, /user_id must be a UUID/],
    [{ days: 0 }, /days: /],
    [{ days: 94 }, /days: /],
    [{ days: "3" }, /days: /],
    [{ since: "2026-05-01" }, /since and until go together/],
    [{ since: "2026-05-03", until: "2026-05-01" }, /since must not be after until/],
    [{ days: 3, since: "2026-05-01", until: "2026-05-02" }, /either days or since\/until/],
    [{ since: "2026-05-01", until: "2026-05-04" }, /until must not be after today \(2026-05-03\)/],
    [{ triggered_by: "a b" }, /triggered_by must be/],
  ];
  for (const [body, message] of cases) {
    const res = await call(body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.match((await res.json()).error.message, message);
  }
  assert.equal(store.history.length, 0);
});

Deno.test("{} fans out: 202 with the number queued, one history row, no Graph API call", async () => {
  const { call, store, model } = setup();
  const graph = startGraph(model);
  try {
    store.queued = 2;
    for (const [body, by] of [[{}, "api"], [{ triggered_by: "cron" }, "cron"]] as const) {
      const res = await call(body);
      assert.equal(res.status, 202);
      const out = await res.json();
      assert.equal(out.mode, "fan_out");
      assert.equal(out.queued, 2);
      assert.equal(out.triggered_by, by);
    }
    assert.deepEqual(store.fanOutBodies, [{ triggered_by: "api" }, { triggered_by: "cron" }]);
    assert.equal(graph.calls.length, 0);
    assert.equal(store.history.length, 2);
    assert.equal(store.history[1].success, true);
    assert.deepEqual(store.history[1].details, { mode: "fan_out", queued: 2 });
    assert.equal(store.history[1].triggered_by, "cron");
  } finally {
    graph.close();
  }
});

Deno.test("{ user_id } syncs that user for today and the 2 days before (Almaty), one history row", async () => {
  const { call, store, model, logger } = setup();
  const graph = startGraph(model);
  try {
    const res = await call({ user_id: U1, triggered_by: "cron" });
    assert.equal(res.status, 200);
    const text = await res.text();
    const out = JSON.parse(text);
    assert.deepEqual(out.window, { since: "2026-05-01", until: "2026-05-03" });
    assert.equal(out.success, true);
    assert.equal(out.users_processed, 1);
    assert.equal(out.records_synced, 6);
    assert.equal(out.api_calls, 1);
    assert.equal(out.users[0].user_id, U1);
    const [h] = store.history;
    assert.equal(h.user_id, U1);
    assert.equal(h.sync_type, "facebook_ads");
    assert.equal(h.triggered_by, "cron");
    assert.equal(h.success, true);
    assert.equal(h.records_synced, 6);
    assert.equal(h.users_processed, 1);
    assert.equal(typeof h.duration_ms, "number");
    assert.ok(h.finished_at);
    assertNoToken([text, JSON.stringify(store.history), ...logger.lines], TOKEN);
  } finally {
    graph.close();
  }
});

Deno.test("{ days } syncs every user synchronously; failures make success false, still 200", async () => {
  const { call, store, model, logger } = setup();
  model.expired.add(TOKEN);
  const graph = startGraph(model);
  try {
    const res = await call({ days: 30 });
    assert.equal(res.status, 200);
    const text = await res.text();
    const out = JSON.parse(text);
    assert.deepEqual(out.window, { since: "2026-04-04", until: "2026-05-03" });
    assert.equal(out.success, false);
    assert.deepEqual(out.users.map((u: { outcome: string }) => u.outcome), [
      "token_invalid",
      "token_invalid",
    ]);
    assert.match(
      out.error_message,
      /^2 of 2 user\(s\) failed: Team 0000 \(00000000\): token_invalid/,
    );
    assert.equal(store.history[0].user_id, null);
    assert.equal(store.history[0].error_message, out.error_message);
    assertNoToken([text, JSON.stringify(store.history), ...logger.lines], TOKEN);
  } finally {
    graph.close();
  }
});

Deno.test("an unknown user is a 404; a database outage is a generic 500; both are recorded", async () => {
  const { call, store } = setup();
  const missing = await call({ user_id: "00000000-0000-4000-8000-0000000000ff" });
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).error.code, "user_not_found");
  assert.equal(store.history[0].success, false);
  store.failTargets = true;
  const down = await call({ days: 1 });
  assert.equal(down.status, 500);
  assert.doesNotMatch(await down.text(), /connection refused/);
  assert.equal(store.history[1].success, false);
  assert.match(store.history[1].error_message!, /reading the targetologists failed/);
});

Deno.test("a Graph error echoing the token URL-encoded (%7C, %7c), JSON-escaped or in base64 reaches no log, answer or history row", async () => {
  const PIPE = `1234567890123456|Ab-Cd_Ef/Gh+Ij=${crypto.randomUUID().slice(0, 8)}`;
  const { call, store, logger } = setup([target(U1, PIPE, ["901"])]);
  const echoes = [
    encodeURIComponent(PIPE),
    encodeURIComponent(PIPE).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    JSON.stringify(PIPE).slice(1, -1),
    btoa(PIPE),
  ];
  const graph = startGraph(graphModel(), () =>
    Response.json({
      error: {
        message: `Invalid parameter: access token ${echoes.join(" / ")} is malformed`,
        type: "OAuthException",
        code: 100,
      },
    }, { status: 400 }));
  try {
    const res = await call({ user_id: U1 });
    assert.equal(res.status, 200);
    const text = await res.text();
    const out = JSON.parse(text);
    assert.equal(out.success, false);
    assert.match(out.users[0].errors[0], /Invalid parameter: access token \[redacted\]/);
    const everything = [text, JSON.stringify(store.history), ...logger.lines];
    assertNoToken(everything, PIPE, ...echoes, "Ab-Cd_Ef");
  } finally {
    graph.close();
  }
});

Deno.test("the database unreachable when a run starts is a 503 with Retry-After, not a 500", async () => {
  const { call, store } = setup();
  store.startRun = () =>
    Promise.reject(
      new StoreUnavailableError("fb_start_run", "TypeError: fetch failed (connection refused)"),
    );
  for (const body of [{ days: 1 }, {}]) {
    const res = await call(body);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "5");
    const out = await res.json();
    assert.equal(out.error.code, "database_unavailable");
    assert.doesNotMatch(out.error.message, /connection refused/);
  }
});

Deno.test("the store tells an unreachable database (no answer, 5xx, PGRST00x) from a refused call", async () => {
  const client = (result: Record<string, unknown>) =>
    ({ rpc: () => Promise.resolve({ data: null, ...result }) }) as unknown as SupabaseClient;
  const down = [
    { error: { message: "TypeError: fetch failed", code: "" }, status: 0 },
    {
      error: { message: "Database client error. Retrying the connection.", code: "PGRST001" },
      status: 503,
    },
    { error: { message: "bad gateway" }, status: 502 },
  ];
  for (const r of down) {
    await assert.rejects(createStore(client(r)).targets(null), StoreUnavailableError);
  }
  const refused = { error: { message: "permission denied", code: "42501" }, status: 403 };
  await assert.rejects(
    createStore(client(refused)).targets(null),
    (err: Error) =>
      !(err instanceof StoreUnavailableError) && /permission denied \(42501\)/.test(err.message),
  );
});
