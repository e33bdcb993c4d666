/** CORS (preflight, allowed origins, Vary) and conditional GETs (ETag, If-None-Match → 304). */
import assert from "node:assert/strict";
import { etagOf, ifNoneMatchHits } from "../../../supabase/functions/traffic-api/etag.ts";
import { BASE, PAGE_FUNCTIONS, request, testHandler, userJwt } from "./helpers.ts";

const preflight = (origin: string) =>
  new Request(`${BASE}/metrics`, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "GET",
      "access-control-request-headers": "authorization, if-none-match",
    },
  });

const DASH = { CORS_ALLOWED_ORIGINS: "https://dash.example" };

Deno.test("a preflight is 204 with the allowed methods and headers, echoing the origin", async () => {
  const { handler, sent } = testHandler(undefined, DASH);
  const res = await handler(preflight("https://dash.example"));
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("access-control-allow-origin"), "https://dash.example");
  assert.equal(res.headers.get("access-control-allow-methods"), "GET, PUT, OPTIONS");
  const allowed = res.headers.get("access-control-allow-headers")?.split(/,\s*/);
  for (const h of ["authorization", "apikey", "content-type", "x-client-info", "if-none-match"]) {
    assert.ok(allowed?.includes(h), h);
  }
  assert.equal(res.headers.get("vary"), "Origin");
  assert.equal(sent.length, 0);
});

Deno.test("CORS_ALLOWED_ORIGINS limits origins; others get no CORS headers", async () => {
  const { handler } = testHandler(undefined, {
    CORS_ALLOWED_ORIGINS: "https://dash.example, https://admin.example/",
  });
  const ok = await handler(preflight("https://admin.example"));
  assert.equal(ok.status, 204);
  assert.equal(ok.headers.get("access-control-allow-origin"), "https://admin.example");
  const denied = await handler(preflight("https://evil.example"));
  assert.equal(denied.status, 403);
  assert.equal(denied.headers.get("access-control-allow-origin"), null);
  await denied.body?.cancel();

  const get = await handler(
    request("/metrics", userJwt, { headers: { origin: "https://dash.example" } }),
  );
  assert.equal(get.headers.get("access-control-allow-origin"), "https://dash.example");
  assert.match(get.headers.get("access-control-expose-headers") ?? "", /etag/);
  assert.match(get.headers.get("vary") ?? "", /Origin/);
  await get.body?.cancel();
  const other = await handler(
    request("/metrics", userJwt, { headers: { origin: "https://evil.example" } }),
  );
  assert.equal(other.headers.get("access-control-allow-origin"), null);
  await other.body?.cancel();
});

Deno.test("by default no other origin may read the API; same-origin calls need no CORS", async () => {
  const { handler } = testHandler();
  const denied = await handler(preflight("https://evil.example"));
  assert.equal(denied.status, 403);
  assert.equal(denied.headers.get("access-control-allow-origin"), null);
  await denied.body?.cancel();
  const cross = await handler(
    request("/metrics", userJwt, { headers: { origin: "https://evil.example" } }),
  );
  assert.equal(cross.headers.get("access-control-allow-origin"), null);
  await cross.body?.cancel();
  // The dashboard served by the gateway (/dashboard/) is same-origin: no Origin check applies.
  const same = await handler(request("/metrics", userJwt));
  assert.equal(same.status, 200);
  await same.body?.cancel();
  const any = await testHandler(undefined, { CORS_ALLOWED_ORIGINS: "*" }).handler(
    preflight("https://any.example"),
  );
  assert.equal(any.status, 204, "* must be asked for explicitly");
  assert.equal(any.headers.get("access-control-allow-origin"), "https://any.example");
});

Deno.test("CORS_ALLOWED_ORIGINS refuses an entry that is not an origin", () => {
  for (const bad of ["dash.example", "https://dash.example/path", "javascript:alert(1)"]) {
    assert.throws(
      () => testHandler(undefined, { CORS_ALLOWED_ORIGINS: bad }),
      /CORS_ALLOWED_ORIGINS/,
    );
  }
});

Deno.test("errors carry CORS headers too, so the dashboard can read them", async () => {
  const { handler } = testHandler(undefined, DASH);
  const res = await handler(
    request("/metrics?period=x", userJwt, { headers: { origin: "https://dash.example" } }),
  );
  assert.equal(res.status, 400);
  assert.equal(res.headers.get("access-control-allow-origin"), "https://dash.example");
  await res.body?.cancel();
});

Deno.test("metrics routes send ETag and Cache-Control; If-None-Match answers 304", async () => {
  const rows = [{ user_id: "u", team_name: "t", period: "7d", spend_usd: "1.5" }];
  const { handler } = testHandler((s) =>
    Response.json(PAGE_FUNCTIONS.test(s.url.pathname) ? { teams_total: 1, data: rows } : rows)
  );
  for (
    const path of [
      "/metrics",
      "/metrics/range?from=2026-01-01&to=2026-01-02",
      "/daily?from=2026-01-01&to=2026-01-02",
      "/campaigns",
    ]
  ) {
    const first = await handler(request(path, userJwt));
    assert.equal(first.status, 200);
    const etag = first.headers.get("etag");
    assert.match(etag ?? "", /^"[A-Za-z0-9_-]{43}"$/);
    assert.equal(
      first.headers.get("cache-control"),
      "private, max-age=60, stale-while-revalidate=540",
    );
    assert.equal(etag, await etagOf(await first.text()), "the tag is the body's hash");
    const again = await handler(request(path, userJwt, { headers: { "if-none-match": etag! } }));
    assert.equal(again.status, 304, path);
    assert.equal(again.headers.get("etag"), etag);
    assert.equal(await again.text(), "");
    const changed = await handler(
      request(path, userJwt, { headers: { "if-none-match": '"other"' } }),
    );
    assert.equal(changed.status, 200);
    await changed.body?.cancel();
  }
});

Deno.test("If-None-Match: lists, weak tags and * match; others do not", () => {
  const tag = '"abc"';
  assert.ok(ifNoneMatchHits('"x", "abc"', tag));
  assert.ok(ifNoneMatchHits('W/"abc"', tag));
  assert.ok(ifNoneMatchHits("*", tag));
  assert.ok(!ifNoneMatchHits('"abcd"', tag));
  assert.ok(!ifNoneMatchHits(null, tag));
});
