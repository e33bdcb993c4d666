/**
 * The data routes' response cache (cache.ts): a repeated request of the same token is answered
 * from the kept body after one `traffic_api_check` call while it reports no change;
 * a change, another token, another query or an old entry computes the route again. /daily's first
 * answer is one call (its SQL reports the snapshot its rows were read in); a route without that
 * (/metrics) asks for a snapshot first.
 */
import assert from "node:assert/strict";
import {
  acceptsDeflate,
  heapBytes,
  MAX_AGE_MS,
  MAX_BYTES,
} from "../../../supabase/functions/traffic-api/cache.ts";
import { etagOf } from "../../../supabase/functions/traffic-api/etag.ts";
import { adminJwt, request, type Sent, testHandler, USER_ID, userJwt } from "./helpers.ts";

/** The cache on, every request checked (the fresh window has tests of its own below). */
const ON = { TRAFFIC_API_RESPONSE_CACHE: "on", TRAFFIC_API_CACHE_FRESH_MS: "0" };
const WINDOW = { TRAFFIC_API_RESPONSE_CACHE: "on", TRAFFIC_API_CACHE_FRESH_MS: "1000" };
const isCheck = (s: Sent) => s.url.pathname.endsWith("/rpc/traffic_api_check");

/** A database whose daily rows say whose token asked; `changed` drives the cache check. */
function database() {
  const state = { changed: false, snapshot: 1, reads: 0 };
  const respond = (s: Sent) => {
    if (s.url.pathname.endsWith("/rpc/traffic_api_check")) {
      // Asked with a GET: the snapshot in the x-traffic-snapshot header, none on a first request.
      const since = s.headers.get("x-traffic-snapshot");
      // One row (a function returning rows: PostgREST answers an array).
      return Response.json([{
        changed: since === null || state.changed,
        snapshot: `${state.snapshot}:${state.snapshot}:`,
      }]);
    }
    state.reads++;
    const who = s.headers.get("authorization") === `Bearer ${userJwt}` ? "user" : "admin";
    // traffic_api_daily_answer: the rows serialised, and the snapshot they were read in.
    return Response.json({
      snapshot: `${state.snapshot}:${state.snapshot}:`,
      data: JSON.stringify({ date: "2026-01-11", spend_usd: `${who}-${state.reads}` }),
    });
  };
  return { state, respond };
}

const DAILY = "/daily?from=2026-01-05&to=2026-01-11";

Deno.test("traffic-api cache: the same token's repeat is served from the cache while unchanged", async () => {
  const db = database();
  const { handler, sent } = testHandler(db.respond, ON);
  const first = await handler(request(DAILY, userJwt));
  assert.equal(first.status, 200);
  const body = await first.text();
  const etag = first.headers.get("etag");
  assert.equal(db.state.reads, 1);
  const again = await handler(request(DAILY, userJwt));
  assert.equal(again.status, 200);
  assert.equal(await again.text(), body, "the same body");
  assert.equal(again.headers.get("etag"), etag);
  assert.equal(again.headers.get("cache-control"), first.headers.get("cache-control"));
  assert.equal(db.state.reads, 1, "no route query on a hit");
  const checks = sent.filter((s) => s.url.pathname.endsWith("/rpc/traffic_api_check"));
  assert.equal(checks.length, 1, "no check for the first (nothing kept), one for the repeat");
  assert.equal(
    checks[0].headers.get("x-traffic-snapshot"),
    "1:1:",
    "asks about the kept snapshot",
  );
  assert.equal(checks[0].method, "GET", "a GET: no request body");
  assert.equal(checks[0].headers.get("authorization"), `Bearer ${userJwt}`, "as the caller");
  const notModified = await handler(
    request(DAILY, userJwt, { headers: { "if-none-match": etag! } }),
  );
  assert.equal(notModified.status, 304);
  assert.equal(await notModified.text(), "");
});

Deno.test("traffic-api cache: another token never gets the kept body", async () => {
  const db = database();
  const { handler } = testHandler(db.respond, ON);
  const mine = await (await handler(request(DAILY, userJwt))).json();
  const theirs = await (await handler(request(DAILY, adminJwt))).json();
  assert.equal(mine.data[0].spend_usd, "user-1");
  assert.equal(theirs.data[0].spend_usd, "admin-2", "computed for the admin's own token");
  const mineAgain = await (await handler(request(DAILY, userJwt))).json();
  assert.equal(mineAgain.data[0].spend_usd, "user-1");
  assert.equal(db.state.reads, 2);
});

Deno.test("traffic-api cache: a change, another query or an old entry is computed again", async () => {
  const db = database();
  let clock = new Date("2026-01-10T20:30:00Z").getTime();
  const { handler } = testHandler(db.respond, ON, () => new Date(clock));
  await handler(request(DAILY, userJwt));
  db.state.changed = true;
  db.state.snapshot = 2;
  const changed = await (await handler(request(DAILY, userJwt))).json();
  assert.equal(changed.data[0].spend_usd, "user-2", "recomputed after a change");
  db.state.changed = false;
  const kept = await (await handler(request(DAILY, userJwt))).json();
  assert.equal(kept.data[0].spend_usd, "user-2", "the new body is kept");
  const other = await (await handler(request(`${DAILY}&user_id=${USER_ID}`, userJwt))).json();
  assert.equal(other.data[0].spend_usd, "user-3", "another query string is another entry");
  clock += MAX_AGE_MS;
  const old = await (await handler(request(DAILY, userJwt))).json();
  assert.equal(old.data[0].spend_usd, "user-4", "recomputed once the entry is MAX_AGE_MS old");
});

Deno.test("traffic-api cache: a revalidating caller after a change refills the cache (304 and kept)", async () => {
  const db = database();
  const { handler } = testHandler(db.respond, ON);
  const first = await handler(request(DAILY, userJwt));
  await first.text();
  // A write elsewhere moves the snapshot; this caller's body stays the same (reads restart at 0,
  // so the recomputed body equals the first one).
  db.state.changed = true;
  db.state.snapshot = 2;
  db.state.reads = 0;
  const revalidating = { headers: { "if-none-match": first.headers.get("etag")! } };
  const revalidated = await handler(request(DAILY, userJwt, revalidating));
  assert.equal(revalidated.status, 304, "the same body: not modified");
  assert.equal(db.state.reads, 1, "recomputed once after the change");
  db.state.changed = false;
  const again = await handler(request(DAILY, userJwt, revalidating));
  assert.equal(again.status, 304);
  assert.equal(db.state.reads, 1, "the recomputed body was kept: no route query on the repeat");
});

Deno.test("traffic-api cache: errors are not kept", async () => {
  let fail = true;
  const { handler } = testHandler((s) => {
    if (s.url.pathname.endsWith("/rpc/traffic_api_check")) {
      return Response.json([{ changed: false, snapshot: "1:1:" }]);
    }
    if (fail) return Response.json({ code: "XX000", message: "boom" }, { status: 500 });
    return Response.json({ snapshot: "1:1:", data: "" });
  }, ON);
  assert.equal((await handler(request(DAILY, userJwt))).status, 500);
  fail = false;
  assert.equal((await handler(request(DAILY, userJwt))).status, 200);
});

Deno.test("traffic-api cache: within the fresh window a repeat asks nothing; after it, it checks again", async () => {
  const db = database();
  let clock = new Date("2026-01-10T20:30:00Z").getTime();
  const { handler, sent } = testHandler(db.respond, WINDOW, () => new Date(clock));
  const first = await (await handler(request(DAILY, userJwt))).text();
  assert.equal(sent.filter(isCheck).length, 0, "a first answer needs no check");
  clock += 999;
  assert.equal(await (await handler(request(DAILY, userJwt))).text(), first);
  assert.equal(sent.filter(isCheck).length, 0, "no check within the window");
  assert.equal(db.state.reads, 1);
  // Another token is never inside this token's window: its own body.
  const theirs = await (await handler(request(DAILY, adminJwt))).json();
  assert.equal(theirs.data[0].spend_usd, "admin-2");
  assert.equal(db.state.reads, 2);
  // A write lands; the window of the user's entry ends: the next request checks and recomputes.
  db.state.changed = true;
  db.state.snapshot = 2;
  clock += 1;
  const after = await (await handler(request(DAILY, userJwt))).json();
  assert.equal(after.data[0].spend_usd, "user-3", "recomputed once the window is over");
  assert.equal(sent.filter(isCheck).length, 1);
});

Deno.test("traffic-api cache: Cache-Control no-cache or max-age=0 always checks, even in the window", async () => {
  const db = database();
  const { handler, sent } = testHandler(db.respond, WINDOW);
  await (await handler(request(DAILY, userJwt))).text();
  db.state.changed = true;
  db.state.snapshot = 2;
  for (const cc of ["no-cache", "max-age=0"]) {
    const res = await handler(request(DAILY, userJwt, { headers: { "cache-control": cc } }));
    assert.equal(res.status, 200);
    await res.text();
  }
  assert.equal(sent.filter(isCheck).length, 2, "each revalidating request checked");
  assert.equal(db.state.reads, 3, "and saw the change");
});

Deno.test("traffic-api cache: concurrent requests of one token and URL share one check", async () => {
  const db = database();
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  let hold = false;
  let clock = new Date("2026-01-10T20:30:00Z").getTime();
  const { handler, sent } = testHandler(
    async (s) => {
      if (hold && isCheck(s)) await gate;
      return db.respond(s);
    },
    WINDOW,
    () => new Date(clock),
  );
  const first = await (await handler(request(DAILY, userJwt))).text();
  // The window is over: the first of three concurrent repeats checks (held at the gate), the
  // other two wait for that check instead of sending their own.
  clock += 1000;
  hold = true;
  const pending = [1, 2, 3].map(() => handler(request(DAILY, userJwt)));
  await new Promise((r) => setTimeout(r, 0));
  release();
  for (const r of await Promise.all(pending)) assert.equal(await r.text(), first);
  assert.equal(sent.filter(isCheck).length, 1, "one shared check");
  assert.equal(db.state.reads, 1);
});

Deno.test("traffic-api cache: a slow 'unchanged' check never puts an older body back over a newer one", async () => {
  const db = database();
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  let checks = 0;
  let clock = new Date("2026-01-10T20:30:00Z").getTime();
  const { handler } = testHandler(
    async (s) => {
      if (isCheck(s)) {
        checks++;
        if (checks === 1) {
          // R1's check: its snapshot predates a write; it answers "unchanged", late.
          await gate;
          return Response.json([{ changed: false, snapshot: "1:1:" }]);
        }
        if (checks === 2) return Response.json([{ changed: true, snapshot: "2:2:" }]); // R2's
      }
      return db.respond(s);
    },
    WINDOW,
    () => new Date(clock),
  );
  await (await handler(request(DAILY, userJwt))).text(); // user-1 kept
  clock += 1000; // the window is over
  const r1 = handler(request(DAILY, userJwt));
  await new Promise((r) => setTimeout(r, 0));
  // The user reloads: R2 revalidates, sees the write and keeps the newer body (user-2).
  const r2 = await (await handler(
    request(DAILY, userJwt, { headers: { "cache-control": "no-cache" } }),
  )).json();
  assert.equal(r2.data[0].spend_usd, "user-2");
  release();
  assert.equal((await (await r1).json()).data[0].spend_usd, "user-2", "R1 answers the newer body");
  const next = await (await handler(request(DAILY, userJwt))).json();
  assert.equal(next.data[0].spend_usd, "user-2", "the newer body stays kept");
});

Deno.test("traffic-api cache: a miss of /daily is ONE database call; of /metrics a snapshot first, then the rows", async () => {
  const db = database();
  const { handler, sent } = testHandler((s) => {
    if (s.url.pathname.endsWith("/rpc/traffic_api_metrics_page")) {
      return Response.json({ teams_total: 0, data: [] });
    }
    return db.respond(s);
  }, ON);
  assert.equal((await handler(request(DAILY, userJwt))).status, 200);
  assert.deepEqual(sent.map((s) => s.url.pathname.split("/").pop()), ["traffic_api_daily_answer"]);
  sent.length = 0;
  assert.equal((await handler(request("/metrics?period=7d", userJwt))).status, 200);
  assert.deepEqual(sent.map((s) => s.url.pathname.split("/").pop()), [
    "traffic_api_check",
    "traffic_api_metrics_page",
  ]);
  assert.equal(sent[0].url.search, "", "no argument");
  assert.equal(sent[0].headers.has("x-traffic-snapshot"), false, "no snapshot: none");
});

Deno.test("traffic-api cache: the check is the GET supabase-js would send, with only the headers PostgREST reads; its failures answer as before", async () => {
  const db = database();
  let fail: Response | null = null;
  const { handler, sent } = testHandler((s) => fail && isCheck(s) ? fail : db.respond(s), ON);
  await (await handler(request(DAILY, userJwt))).text();
  db.state.changed = true;
  db.state.snapshot = 7;
  await (await handler(request(DAILY, userJwt))).text(); // computed again, kept against 7:7:
  db.state.changed = false;
  await (await handler(request(DAILY, userJwt))).text();
  const checks = sent.filter(isCheck);
  assert.equal(checks.length, 2);
  // No query-string argument (PostgREST would make a JSON payload of it): the snapshot in a
  // header, which traffic_api_check reads as its default (20261208042200).
  assert.equal(checks[1].url.href, "http://db.local/rest/v1/rpc/traffic_api_check");
  assert.equal(checks[1].method, "GET");
  assert.equal(checks[1].body, null);
  assert.deepEqual([...checks[1].headers], [
    ["accept-profile", "public"],
    ["apikey", "anon-key-for-tests"],
    ["authorization", `Bearer ${userJwt}`],
    ["x-traffic-snapshot", "7:7:"],
  ], "the caller's token, the client key, the public profile, the snapshot; no x-client-info");
  // PostgREST refusing the token: 401, as supabase-js's answer was mapped (db.ts dbFailure).
  fail = Response.json({ code: "PGRST301", message: "JWT expired" }, { status: 401 });
  const refused = await handler(request(DAILY, userJwt));
  assert.equal(refused.status, 401);
  assert.equal((await refused.json()).error.code, "unauthorized");
  // Anything else unexpected: the generic 500, never the database's text.
  fail = new Response("<html>bad gateway</html>", { status: 502 });
  const broken = await handler(request(DAILY, userJwt));
  assert.equal(broken.status, 500);
  assert.doesNotMatch(await broken.text(), /bad gateway/);
  fail = new Response("not json", { status: 200 });
  assert.equal((await handler(request(DAILY, userJwt))).status, 500);
});

Deno.test("traffic-api cache: the key's local date is formatted once per second, and turns at local midnight", async () => {
  const format = Object.getOwnPropertyDescriptor(Intl.DateTimeFormat.prototype, "format")!;
  let formats = 0;
  Object.defineProperty(Intl.DateTimeFormat.prototype, "format", {
    configurable: true,
    get() {
      const f = format.get!.call(this) as (d?: Date | number) => string;
      return (d?: Date | number) => (formats++, f(d));
    },
  });
  try {
    const db = database();
    // Asia/Almaty (the default zone) is UTC+5: its day turns at 19:00:00 UTC.
    let clock = Date.parse("2026-01-10T18:59:59.000Z");
    const { handler } = testHandler(db.respond, ON, () => new Date(clock));
    const before = await (await handler(request(DAILY, userJwt))).json();
    formats = 0;
    for (let i = 0; i < 50; i++) {
      clock = Date.parse("2026-01-10T18:59:59.000Z") + i * 19; // within the same second
      assert.equal((await handler(request(DAILY, userJwt))).status, 200);
    }
    assert.ok(formats <= 1, `the day formatted ${formats} times for 50 requests in one second`);
    assert.equal(db.state.reads, 1, "every repeat answered from the kept body");
    clock = Date.parse("2026-01-10T19:00:00.000Z");
    const after = await (await handler(request(DAILY, userJwt))).json();
    assert.equal(db.state.reads, 2, "a new local day: another key, computed again");
    assert.notEqual(after.data[0].spend_usd, before.data[0].spend_usd);
  } finally {
    Object.defineProperty(Intl.DateTimeFormat.prototype, "format", format);
  }
});

Deno.test("traffic-api cache: a kept body is answered from its string (not copied bytes), the same UTF-8 bytes", async () => {
  const { handler } = testHandler(
    (s) =>
      isCheck(s) ? Response.json([{ changed: false, snapshot: "1:1:" }]) : Response.json({
        snapshot: "1:1:",
        data: JSON.stringify({ date: "2026-01-11", team_name: "Команда «Алматы» 🚀" }),
      }),
    ON,
  );
  const first = new Uint8Array(await (await handler(request(DAILY, userJwt))).arrayBuffer());
  const bodies: string[] = [];
  const Original = globalThis.Response;
  globalThis.Response = class extends Original {
    constructor(body?: BodyInit | null, init?: ResponseInit) {
      super(body, init);
      bodies.push(body === null || body === undefined ? "none" : typeof body);
    }
  };
  let again: Response;
  try {
    again = await handler(request(DAILY, userJwt));
  } finally {
    globalThis.Response = Original;
  }
  assert.equal(again.status, 200);
  assert.deepEqual(bodies, ["string"], "the kept answer is built from the kept string");
  assert.deepEqual(new Uint8Array(await again.arrayBuffer()), first, "the same bytes");
  assert.match(new TextDecoder().decode(first), /Команда «Алматы» 🚀/);
});

Deno.test("traffic-api cache: the byte cap counts a body as it lies in memory (two bytes a character past Latin-1)", async () => {
  assert.equal(heapBytes('{"a":"abc"}'), 11);
  assert.equal(heapBytes('{"a":"é"}'), 9, "Latin-1: one byte a character");
  assert.equal(heapBytes('{"a":"Ж"}'), 18, "Cyrillic: two");
  assert.equal(heapBytes('{"a":"🚀"}'), 20, "a surrogate pair: two characters of two");
  // One body over a quarter of the cap is never kept: a Cyrillic name of MAX_BYTES / 8 characters
  // is that in memory (and in UTF-8), though its length is under it.
  let reads = 0;
  const name = "Ж".repeat(MAX_BYTES / 8);
  const { handler } = testHandler((s) => {
    if (isCheck(s)) return Response.json([{ changed: false, snapshot: "1:1:" }]);
    reads++;
    return Response.json({ snapshot: "1:1:", data: JSON.stringify({ team_name: name }) });
  }, ON);
  assert.equal((await handler(request(DAILY, userJwt))).status, 200);
  assert.equal((await handler(request(DAILY, userJwt))).status, 200);
  assert.equal(reads, 2, "too large to keep: computed again");
});

/** Chromium's `Accept-Encoding` for a page's fetch (tests/browser/dashboard.test.ts records it). */
const BROWSER_AE = "gzip, deflate, br, zstd";

/** A database whose /daily row carries `pad` characters (a body over or under 1 kB). */
function paddedDatabase(pad: number) {
  const state = { changed: false, reads: 0 };
  const respond = (s: Sent) => {
    if (isCheck(s)) return Response.json([{ changed: state.changed, snapshot: "1:1:" }]);
    state.reads++;
    return Response.json({
      snapshot: "1:1:",
      data: JSON.stringify({
        date: "2026-01-11",
        team_name: `Команда ${"x".repeat(pad)}`,
        n: state.reads,
      }),
    });
  };
  return { state, respond };
}

async function inflate(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return await new Response(stream).text();
}

Deno.test("traffic-api cache: a kept body of 1 kB or more is answered deflate-encoded to a request that accepts it, with its own strong tag", async () => {
  const db = paddedDatabase(2000);
  const { handler } = testHandler(db.respond, ON);
  const plain = await handler(request(DAILY, userJwt));
  assert.equal(plain.status, 200);
  assert.equal(plain.headers.get("content-encoding"), null, "no Accept-Encoding: as it is");
  const text = await plain.text();
  assert.ok(text.length >= 1024, String(text.length));
  assert.equal(plain.headers.get("etag"), await etagOf(text));
  assert.match(plain.headers.get("vary") ?? "", /^Authorization, Accept-Encoding(, Origin)?$/);

  for (const ae of [BROWSER_AE, "deflate", "gzip;q=1, DEFLATE;q=0.5", "br, *"]) {
    const zipped = await handler(
      request(DAILY, userJwt, { headers: { "accept-encoding": ae, "cache-control": "no-cache" } }),
    );
    assert.equal(zipped.status, 200, ae);
    assert.equal(zipped.headers.get("content-encoding"), "deflate", ae);
    const bytes = new Uint8Array(await zipped.arrayBuffer());
    assert.ok(bytes.length < text.length / 4, `${ae}: ${bytes.length} bytes`);
    assert.equal(await inflate(bytes), text, `${ae}: the same body once inflated`);
    const tag = zipped.headers.get("etag");
    assert.equal(tag, await etagOf(bytes), "the tag is the SHA-256 of the bytes sent");
    assert.notEqual(tag, plain.headers.get("etag"), "another representation, another tag");
    assert.equal(zipped.headers.get("vary"), plain.headers.get("vary"));
    assert.equal(zipped.headers.get("content-type"), plain.headers.get("content-type"));
    assert.equal(zipped.headers.get("cache-control"), plain.headers.get("cache-control"));
  }
  assert.equal(db.state.reads, 1, "one computation: every answer above from the kept body");

  // The conditional request names the tag of the representation it would get.
  const zipped = await handler(
    request(DAILY, userJwt, { headers: { "accept-encoding": BROWSER_AE } }),
  );
  const tag = zipped.headers.get("etag")!;
  await zipped.body?.cancel();
  const notModified = await handler(
    request(DAILY, userJwt, { headers: { "accept-encoding": BROWSER_AE, "if-none-match": tag } }),
  );
  assert.equal(notModified.status, 304);
  assert.equal(await notModified.text(), "");
  assert.equal(notModified.headers.get("etag"), tag);
  assert.equal(notModified.headers.get("content-encoding"), null);
  assert.equal(notModified.headers.get("content-type"), null);
  const otherTag = await handler(
    request(DAILY, userJwt, {
      headers: { "accept-encoding": BROWSER_AE, "if-none-match": plain.headers.get("etag")! },
    }),
  );
  assert.equal(otherTag.status, 200, "the identity tag does not match the deflate answer");
  await otherTag.body?.cancel();
  const identityHit = await handler(
    request(DAILY, userJwt, { headers: { "if-none-match": plain.headers.get("etag")! } }),
  );
  assert.equal(identityHit.status, 304, "nor the other way round: each its own tag");

  // deflate refused, or not asked for: the body as it is.
  for (const ae of ["gzip, br", "deflate;q=0, gzip", "identity", "*;q=0", "deflate;q=0, *"]) {
    const res = await handler(request(DAILY, userJwt, { headers: { "accept-encoding": ae } }));
    assert.equal(res.headers.get("content-encoding"), null, ae);
    assert.equal(await res.text(), text, ae);
  }
  // A change: the new body gets a new deflate copy (not the old one's bytes).
  db.state.changed = true;
  const changed = await handler(
    request(DAILY, userJwt, { headers: { "accept-encoding": BROWSER_AE } }),
  );
  assert.equal(db.state.reads, 2);
  assert.notEqual(changed.headers.get("etag"), tag);
  const changedText = await inflate(new Uint8Array(await changed.arrayBuffer()));
  assert.equal(changedText, text.replace('"n":1', '"n":2'), "the new body, deflated");
});

Deno.test("traffic-api cache: a body under 1 kB is answered as it is whatever the request accepts", async () => {
  const db = paddedDatabase(10);
  const { handler } = testHandler(db.respond, ON);
  const plain = await handler(request(DAILY, userJwt));
  const text = await plain.text();
  assert.ok(text.length < 1024);
  const again = await handler(
    request(DAILY, userJwt, { headers: { "accept-encoding": BROWSER_AE } }),
  );
  assert.equal(again.headers.get("content-encoding"), null);
  assert.equal(await again.text(), text);
  assert.equal(again.headers.get("etag"), plain.headers.get("etag"));
  assert.doesNotMatch(again.headers.get("vary") ?? "", /Accept-Encoding/, "nothing to vary");
});

Deno.test("traffic-api cache: acceptsDeflate reads Accept-Encoding's codings and q-values", () => {
  const yes = [BROWSER_AE, "deflate", "DEFLATE", " deflate ;q=0.1", "*", "gzip, *;q=0.5"];
  const no = [null, "", "gzip", "gzip, br, zstd", "identity", "deflate;q=0", "deflate; q=0.000"];
  for (const h of yes) assert.equal(acceptsDeflate(h), true, String(h));
  for (const h of no) assert.equal(acceptsDeflate(h), false, String(h));
  assert.equal(acceptsDeflate("*, deflate;q=0"), false, "named deflate;q=0 wins over *");
  assert.equal(acceptsDeflate("deflate;q=0, *"), false);
});
