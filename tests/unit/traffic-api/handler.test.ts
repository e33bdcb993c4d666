/**
 * traffic-api's handler called with `new Request(...)`: routing, authentication of the caller,
 * validation, and what it sends to PostgREST (the caller's JWT, never another key).
 */
import assert from "node:assert/strict";
import {
  adminJwt,
  ANON_KEY,
  anonJwt,
  emptyDatabase,
  OTHER_ID,
  request,
  testHandler,
  USER_ID,
  userJwt,
} from "./helpers.ts";

Deno.test("an unknown route is 404 not_found, with the JSON error body", async () => {
  const { handler, sent } = testHandler();
  const res = await handler(request("/nope", userJwt));
  assert.equal(res.status, 404);
  assert.deepEqual(await res.json(), { error: { code: "not_found", message: "No route /nope." } });
  assert.equal(res.headers.get("cache-control"), "no-store");
  assert.ok(res.headers.get("x-request-id"));
  assert.equal(sent.length, 0);
});

Deno.test("a known route with the wrong method is 405 with Allow", async () => {
  const { handler } = testHandler();
  const res = await handler(request("/metrics", userJwt, { method: "POST", body: "{}" }));
  assert.equal(res.status, 405);
  assert.equal(res.headers.get("allow"), "GET, OPTIONS");
  assert.equal((await res.json()).error.code, "method_not_allowed");
  const settings = await handler(request("/settings", userJwt, { method: "DELETE" }));
  assert.equal(settings.headers.get("allow"), "GET, PUT, OPTIONS");
  await settings.body?.cancel();
});

Deno.test("trailing slashes and the bare function path route as expected", async () => {
  const { handler } = testHandler();
  const slash = await handler(request("/metrics/", userJwt));
  assert.equal(slash.status, 200);
  await slash.body?.cancel();
  const root = await handler(request("", userJwt));
  assert.equal(root.status, 404);
  await root.body?.cancel();
});

Deno.test("data routes answer 401 for the anon key, a service key or no token", async () => {
  const { handler, sent } = testHandler();
  const service = anonJwt.replace(/\..*\./, `.${btoa('{"role":"service_role"}')}.`);
  for (const path of ["/metrics", "/daily?from=2026-01-01&to=2026-01-02", "/settings"]) {
    for (const jwt of [anonJwt, service, undefined]) {
      const res = await handler(request(path, jwt));
      assert.equal(res.status, 401, `${path} ${jwt}`);
      assert.equal((await res.json()).error.code, "unauthorized");
    }
  }
  assert.equal(sent.length, 0, "nothing reaches the database");
});

Deno.test("GET /metrics reads through PostgREST with the caller's JWT and the anon key", async () => {
  const { handler, sent } = testHandler();
  const res = await handler(request("/metrics?period=7d,today", userJwt));
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {
    periods: ["7d", "today"],
    data: [],
    teams_total: 0,
    limit: 1000,
    offset: 0,
    next_offset: null,
  });
  assert.equal(sent.length, 1);
  const [q] = sent;
  // One call: SQL shapes the rows (money as rounded text) and cuts the page of teams.
  assert.equal(q.url.pathname, "/rest/v1/rpc/traffic_api_metrics_page");
  assert.equal(q.headers.get("authorization"), `Bearer ${userJwt}`);
  assert.equal(q.headers.get("apikey"), ANON_KEY);
  assert.deepEqual(JSON.parse(q.body ?? ""), {
    p_periods: ["7d", "today"],
    p_user_id: null, // RLS, not a filter, limits a user
    p_limit: 1000, // no limit asked: every team, as before paging
    p_offset: 0,
  });
});

Deno.test("GET /metrics takes period repeated, and all three when absent", async () => {
  const { handler, sent } = testHandler();
  await (await handler(request("/metrics?period=today&period=30d", userJwt))).body?.cancel();
  assert.deepEqual(JSON.parse(sent[0].body ?? "").p_periods, ["today", "30d"]);
  await (await handler(request("/metrics", userJwt))).body?.cancel();
  assert.deepEqual(JSON.parse(sent[1].body ?? "").p_periods, ["today", "7d", "30d"]);
});

Deno.test("GET /metrics sorts by period, then team, the team total last", async () => {
  const rows = [
    { user_id: null, team_name: "all", period: "today" },
    { user_id: USER_ID, team_name: "b", period: "7d" },
    { user_id: OTHER_ID, team_name: "a", period: "today" },
    { user_id: USER_ID, team_name: "b", period: "today" },
  ];
  const { handler } = testHandler(() => Response.json({ teams_total: 2, data: rows }));
  const body = await (await handler(request("/metrics?period=today,7d", adminJwt))).json();
  assert.deepEqual(
    body.data.map((r: { team_name: string; period: string }) => `${r.period}:${r.team_name}`),
    ["today:a", "today:b", "today:all", "7d:b"],
  );
});

Deno.test("GET /metrics and /metrics/range answer a page of teams: limit and offset reach SQL", async () => {
  const rows = [{ user_id: USER_ID, team_name: "b", period: "7d" }];
  const { handler, sent } = testHandler(() => Response.json({ teams_total: 120, data: rows }));
  const first = await (await handler(request("/metrics?period=7d&limit=50", adminJwt))).json();
  assert.equal(first.teams_total, 120);
  assert.equal(first.next_offset, 50);
  const last = await (await handler(request("/metrics?limit=50&offset=100", adminJwt))).json();
  assert.equal(last.offset, 100);
  assert.equal(last.next_offset, null, "the last page");
  assert.deepEqual(JSON.parse(sent[1].body ?? ""), {
    p_periods: ["today", "7d", "30d"],
    p_user_id: null,
    p_limit: 50,
    p_offset: 100,
  });
  // No limit: every team, as before paging (an old client gets the whole list).
  const all = await (await handler(request("/metrics?period=7d", adminJwt))).json();
  assert.equal(all.limit, 1000);
  assert.equal(all.next_offset, null);
  assert.equal(JSON.parse(sent[2].body ?? "").p_limit, 1000);
  sent.splice(2, 1);
  const range = await (await handler(
    request("/metrics/range?from=2026-01-01&to=2026-01-31&limit=1000&offset=0", adminJwt),
  )).json();
  assert.equal(range.next_offset, null);
  assert.equal(sent[2].url.pathname, "/rest/v1/rpc/traffic_api_metrics_range_page");
  assert.equal(JSON.parse(sent[2].body ?? "").p_limit, 1000);
  for (const bad of ["limit=0", "limit=1001", "offset=-1", "limit=x"]) {
    const res = await handler(request(`/metrics?${bad}`, adminJwt));
    assert.equal(res.status, 400, bad);
    assert.equal((await res.json()).error.code, "invalid_query");
  }
  assert.equal(sent.length, 3, "a bad page never reaches the database");
});

Deno.test("user_id: an admin filters by it; a non-admin may pass only their own id", async () => {
  const { handler, sent } = testHandler();
  await (await handler(request(`/metrics?user_id=${USER_ID}`, adminJwt))).body?.cancel();
  assert.equal(JSON.parse(sent[0].body ?? "").p_user_id, USER_ID);
  const own = await handler(request(`/metrics?user_id=${USER_ID}`, userJwt));
  assert.equal(own.status, 200);
  await own.body?.cancel();
  for (
    const path of [
      `/metrics?user_id=${OTHER_ID}`,
      `/metrics/range?from=2026-01-01&to=2026-01-02&user_id=${OTHER_ID}`,
      `/daily?from=2026-01-01&to=2026-01-02&user_id=${OTHER_ID}`,
      `/campaigns?user_id=${OTHER_ID}`,
      `/sync-status?user_id=${OTHER_ID}`,
    ]
  ) {
    const res = await handler(request(path, userJwt));
    assert.equal(res.status, 403, path);
    assert.equal((await res.json()).error.code, "forbidden");
  }
  assert.equal(sent.length, 2);
});

Deno.test("GET /metrics/range calls traffic_api_metrics_range_page with TRAFFIC_TIMEZONE", async () => {
  const { handler, sent } = testHandler(emptyDatabase, {
    TRAFFIC_TIMEZONE: "Asia/Tashkent",
  });
  const res = await handler(request("/metrics/range?from=2026-01-01&to=2026-01-31", userJwt));
  assert.deepEqual(await res.json(), {
    from: "2026-01-01",
    to: "2026-01-31",
    timezone: "Asia/Tashkent",
    data: [],
    teams_total: 0,
    limit: 1000,
    offset: 0,
    next_offset: null,
  });
  assert.equal(sent[0].url.pathname, "/rest/v1/rpc/traffic_api_metrics_range_page");
  assert.deepEqual(JSON.parse(sent[0].body ?? ""), {
    p_from: "2026-01-01",
    p_to: "2026-01-31",
    p_tz: "Asia/Tashkent",
    p_user_id: null,
    p_limit: 1000,
    p_offset: 0,
  });
});

Deno.test("GET /campaigns turns a period into local dates and asks SQL for one page (limit, offset, whether more follow)", async () => {
  const rows = Array.from({ length: 2 }, (_, i) => JSON.stringify({ campaign_id: String(i) }));
  const { handler, sent } = testHandler(() =>
    Response.json({ snapshot: "1:1:", data: rows.join(","), more: true })
  );
  const res = await handler(request("/campaigns?period=7d&level=ad&limit=2", userJwt));
  const body = await res.json();
  // now is 2026-01-10T20:30Z = 2026-01-11 01:30 in Almaty
  assert.equal(body.from, "2026-01-05");
  assert.equal(body.to, "2026-01-11");
  assert.equal(body.next_offset, 2);
  assert.deepEqual(body.data, [{ campaign_id: "0" }, { campaign_id: "1" }]);
  assert.equal(sent[0].url.pathname, "/rest/v1/rpc/traffic_api_campaigns_answer");
  assert.deepEqual(JSON.parse(sent[0].body ?? ""), {
    p_from: "2026-01-05",
    p_to: "2026-01-11",
    p_tz: "Asia/Almaty",
    p_level: "ad",
    p_user_id: null,
    p_limit: 2,
    p_offset: 0,
  });
});

Deno.test("GET /sync-status asks for cron jobs only for admins", async () => {
  const { handler, sent } = testHandler();
  const user = await (await handler(request("/sync-status", userJwt))).json();
  assert.deepEqual(user, { runs: [], cron: null });
  assert.deepEqual(sent.map((s) => s.url.pathname), ["/rest/v1/rpc/traffic_latest_sync_runs"]);
  await (await handler(request("/sync-status", adminJwt))).body?.cancel();
  assert.deepEqual(sent.slice(1).map((s) => s.url.pathname).sort(), [
    "/rest/v1/rpc/traffic_cron_status",
    "/rest/v1/rpc/traffic_latest_sync_runs",
  ]);
});

Deno.test("an unexpected database error is a generic 500 with a request id, cause logged", async () => {
  const { handler, logger } = testHandler(() =>
    Response.json({ code: "42P01", message: "relation secret_table does not exist" }, {
      status: 404,
    })
  );
  const res = await handler(request("/metrics", userJwt, { headers: { "x-request-id": "r-1" } }));
  assert.equal(res.status, 500);
  const text = await res.text();
  assert.equal(
    text,
    '{"error":{"code":"internal_error","message":"Internal error (request id r-1)."}}',
  );
  assert.equal(res.headers.get("x-request-id"), "r-1");
  assert.ok(logger.lines.some((l) => l.includes("secret_table") && l.includes("r-1")));
});

Deno.test("PostgREST errors map to 403, 401, 503 (timeout, missing rate), else 500", async () => {
  const cases: [number, string, string, number, string][] = [
    [403, "42501", "permission denied", 403, "forbidden"],
    [401, "PGRST301", "JWT expired", 401, "unauthorized"],
    [500, "57014", "canceling statement", 503, "timeout"],
    [400, "TS001", "missing exchange rate: no USD rate", 503, "exchange_rate_missing"],
    // Recognised by its SQLSTATE, not by its wording.
    [400, "P0001", "missing exchange rate: no USD rate", 500, "internal_error"],
    [400, "P0001", "something else", 500, "internal_error"],
  ];
  for (const [status, code, message, expected, answer] of cases) {
    const { handler } = testHandler(() => Response.json({ code, message }, { status }));
    const res = await handler(request("/daily?from=2026-01-01&to=2026-01-02", userJwt));
    assert.equal(res.status, expected, code);
    assert.equal((await res.json()).error.code, answer);
  }
});

Deno.test("GET /health needs no user and says whether PostgREST answers", async () => {
  const up = testHandler(() => new Response("{}"));
  const res = await up.handler(request("/health", anonJwt));
  assert.deepEqual(await res.json(), { status: "ok", database: "up" });
  assert.equal(up.sent[0].headers.get("apikey"), ANON_KEY);
  const down = testHandler(() => {
    throw new TypeError("connection refused");
  });
  const res2 = await down.handler(request("/health"));
  assert.equal(res2.status, 503);
  assert.deepEqual(await res2.json(), { status: "ok", database: "down" });
});
