/**
 * alerts-deliver with a fake outbox and a fake destination: the Telegram and webhook requests,
 * what each answer means (2xx delivered; 408/429/5xx and network errors retried, Telegram's
 * retry_after honoured; other 4xx and redirects final), a refused URL never fetched, a late
 * outcome not recorded, the token redacted from every error and log line, and the handler's
 * caller and body checks.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../../supabase/functions/alerts-deliver/config.ts";
import {
  type DeliverDeps,
  deliverDue,
} from "../../../supabase/functions/alerts-deliver/deliver.ts";
import type { Resolver } from "../../../supabase/functions/alerts-deliver/destination.ts";
import { createHandler } from "../../../supabase/functions/alerts-deliver/handler.ts";
import type {
  ClaimedMessage,
  OutboxStore,
  Settlement,
} from "../../../supabase/functions/alerts-deliver/store.ts";
import { memoryLogger } from "../../../supabase/functions/_shared/logger.ts";

const TOKEN = "987654:AAF-unit_test_token_value";
const TG = `https://api.telegram.org/bot${TOKEN}/sendMessage`;

function message(over: Partial<ClaimedMessage> = {}): ClaimedMessage {
  return {
    id: 1,
    attempt: 1,
    kind: "opened",
    destination_kind: "telegram",
    url: TG,
    chat_id: "-100",
    text: "[CRITICAL] rule\nTeam A: figure. Fix: do this.",
    payload: { team_name: "A" },
    idempotency_key: "alert-1-opened-1-dest-1",
    allow_loopback_http: false,
    ...over,
  };
}

function fakeStore(batches: ClaimedMessage[][], settleAnswer: string | null = "x") {
  const settled: { msg: ClaimedMessage; s: Settlement }[] = [];
  const store: OutboxStore = {
    claim: () => Promise.resolve(batches.shift() ?? []),
    settle: (msg, s) => {
      settled.push({ msg, s });
      return Promise.resolve(
        settleAnswer === "x" ? (s.outcome === "retry" ? "pending" : s.outcome) : settleAnswer,
      );
    },
  };
  return { store, settled };
}

/** A resolver answering with a public address (api.telegram.org's). */
const publicDns: Resolver = () => Promise.resolve(["149.154.167.220"]);

function run(
  store: OutboxStore,
  fetchImpl: typeof fetch,
  over: Partial<Pick<DeliverDeps, "resolver" | "now">> = {},
) {
  const logger = memoryLogger();
  const done = deliverDue({
    store,
    fetch: fetchImpl,
    logger,
    resolver: publicDns,
    now: Date.now,
    ...over,
    projectHost: "abcdefgh.supabase.co",
    timeoutMs: 1_000,
    concurrency: 4,
    budgetMs: 30_000,
    maxAttempts: 10,
  });
  return { done, logger };
}

Deno.test("deliver: Telegram gets {chat_id, text}; a webhook gets the alert with an idempotency key", async () => {
  const seen: { url: string; init: RequestInit }[] = [];
  const { store, settled } = fakeStore([[
    message(),
    message({
      id: 2,
      destination_kind: "webhook",
      url: "https://hooks.example.com/x",
      chat_id: null,
    }),
  ]]);
  const { done } = run(store, (url, init) => {
    seen.push({ url: String(url), init: init! });
    return Promise.resolve(Response.json({ ok: true }));
  });
  assert.deepEqual(await done, { claimed: 2, delivered: 2, retried: 0, failed: 0, lost: 0 });
  assert.equal(seen[0].url, TG);
  assert.deepEqual(JSON.parse(String(seen[0].init.body)), {
    chat_id: "-100",
    text: message().text,
  });
  assert.equal(seen[0].init.redirect, "manual");
  const hook = JSON.parse(String(seen[1].init.body));
  assert.equal(hook.idempotency_key, "alert-1-opened-1-dest-1");
  assert.deepEqual(hook.alert, { team_name: "A" });
  assert.equal(
    (seen[1].init.headers as Record<string, string>)["idempotency-key"],
    "alert-1-opened-1-dest-1",
  );
  assert.deepEqual(settled.map((x) => x.s.outcome), ["delivered", "delivered"]);
});

Deno.test("deliver: 5xx, 429 (with retry_after), timeouts and network errors are retried; 4xx and redirects are final", async () => {
  const answers: (() => Promise<Response>)[] = [
    () => Promise.resolve(new Response("oops", { status: 502 })),
    () =>
      Promise.resolve(Response.json({
        ok: false,
        error_code: 429,
        description: "Too Many Requests: retry after 17",
        parameters: { retry_after: 17 },
      }, { status: 429 })),
    () => Promise.reject(new TypeError(`error sending request for url (${TG}): refused`)),
    () =>
      Promise.resolve(
        Response.json({ ok: false, description: `Unauthorized ${TOKEN}` }, { status: 401 }),
      ),
    () =>
      Promise.resolve(
        new Response(null, { status: 302, headers: { location: "http://10.0.0.1" } }),
      ),
  ];
  const msgs = answers.map((_, i) => message({ id: i + 1 }));
  const { store, settled } = fakeStore([msgs.slice(0, 4), msgs.slice(4)]);
  let i = 0;
  const { done, logger } = run(store, () => answers[i++]());
  assert.deepEqual(await done, { claimed: 5, delivered: 0, retried: 3, failed: 2, lost: 0 });
  const by = Object.fromEntries(settled.map((x) => [x.msg.id, x.s]));
  assert.equal(by[1].outcome, "retry");
  assert.equal(by[1].statusCode, 502);
  assert.deepEqual([by[2].outcome, by[2].retryAfterSeconds], ["retry", 17]);
  assert.equal(by[3].outcome, "retry");
  assert.match(by[3].error!, /\[redacted\]/);
  assert.deepEqual([by[4].outcome, by[4].error], ["failed", "HTTP 401: Unauthorized [redacted]"]);
  assert.equal(by[5].outcome, "failed");
  assert.match(by[5].error!, /redirects are not followed/);
  const all = JSON.stringify(settled.map((x) => x.s)) + logger.lines.join("\n");
  for (const form of [TOKEN, encodeURIComponent(TOKEN), btoa(TOKEN), TOKEN.split(":")[1]]) {
    assert.ok(!all.includes(form), `no ${form} in errors or logs`);
  }
});

Deno.test("deliver: a URL the rules refuse is never fetched; an outcome after the lease is not counted", async () => {
  const { store, settled } = fakeStore([[
    message({ url: "http://127.0.0.1:9/x", destination_kind: "webhook" }),
  ]]);
  let fetched = 0;
  const { done } = run(store, () => {
    fetched++;
    return Promise.resolve(Response.json({}));
  });
  assert.equal((await done).failed, 1);
  assert.equal(fetched, 0);
  assert.equal(settled[0].s.error, "not sent: only https URLs are accepted");

  const late = fakeStore([[message()]], null);
  const r = run(late.store, () => Promise.resolve(Response.json({ ok: true })));
  assert.deepEqual(await r.done, { claimed: 1, delivered: 0, retried: 0, failed: 0, lost: 1 });
});

Deno.test("deliver: when the destination's addresses cannot be checked nothing is sent (retried)", async () => {
  for (
    const [resolver, why] of [
      [null, /no DNS resolver/],
      [() => Promise.reject(new Error("SERVFAIL")), /the DNS lookup failed/],
      [() => Promise.resolve(["10.0.0.7"]), /private or loopback/],
    ] as [Resolver | null, RegExp][]
  ) {
    const { store, settled } = fakeStore([[message()]]);
    let fetched = 0;
    const { done } = run(store, () => {
      fetched++;
      return Promise.resolve(Response.json({ ok: true }));
    }, { resolver });
    await done;
    assert.equal(fetched, 0, `not fetched: ${why}`);
    assert.match(settled[0].s.error!, why);
  }
  const unchecked = fakeStore([[message()]]);
  await run(unchecked.store, () => Promise.resolve(Response.json({})), { resolver: null }).done;
  assert.equal(unchecked.settled[0].s.outcome, "retry", "fail closed is a retry, not a give-up");
  const refused = fakeStore([[message()]]);
  await run(refused.store, () => Promise.resolve(Response.json({})), {
    resolver: () => Promise.resolve(["10.0.0.7"]),
  }).done;
  assert.equal(refused.settled[0].s.outcome, "failed", "a private address is final");
});

Deno.test("deliver: a DNS lookup that hangs is cut at the timeout and the message retried unsent", async () => {
  const { store, settled } = fakeStore([[message()]]);
  let fetched = 0;
  const t0 = Date.now();
  const { done } = run(store, () => {
    fetched++;
    return Promise.resolve(Response.json({ ok: true }));
  }, { resolver: () => new Promise<string[]>(() => {}) }); // never answers
  assert.deepEqual(await done, { claimed: 1, delivered: 0, retried: 1, failed: 0, lost: 0 });
  assert.ok(Date.now() - t0 < 5_000, "cut at the 1 s timeout, not left hanging");
  assert.equal(fetched, 0);
  assert.match(settled[0].s.error!, /^not sent: .*took longer than 1000 ms/);
});

Deno.test("deliver: a message whose lease is too short for the send is given back unsent", async () => {
  // The clock jumps while the DNS check runs (a slow lookup, a paused process): when the lease
  // no longer covers the send's timeout and its recording, nothing is sent.
  let clock = 1_000_000;
  const { store, settled } = fakeStore([[message()]]);
  let fetched = 0;
  const { done } = run(store, () => {
    fetched++;
    return Promise.resolve(Response.json({ ok: true }));
  }, {
    now: () => clock,
    resolver: () => {
      clock += 60_000; // the lease is timeout*2 + margin + 30 s = 37 s: it has passed
      return Promise.resolve(["149.154.167.220"]);
    },
  });
  await done;
  assert.equal(fetched, 0, "not sent once the lease ran short");
  assert.deepEqual(settled.map((x) => [x.s.outcome, x.s.error]), [[
    "retry",
    "not sent: too little of the lease was left to send",
  ]]);

  // With the lease intact the same message is sent.
  clock = 1_000_000;
  const ok = fakeStore([[message()]]);
  const r = run(ok.store, () => Promise.resolve(Response.json({ ok: true })), {
    now: () => clock,
  });
  assert.equal((await r.done).delivered, 1);
});

Deno.test("alerts-deliver handler: service key only, POST only, a strict body, counts in the answer", async () => {
  const config = loadConfig({
    SUPABASE_URL: "http://127.0.0.1:1",
    SUPABASE_SERVICE_ROLE_KEY: "service-role-key-for-tests",
  });
  const { store } = fakeStore([[message()]]);
  const handler = createHandler({
    config,
    logger: memoryLogger(),
    store,
    fetch: () => Promise.resolve(Response.json({ ok: true })),
    resolver: publicDns,
  });
  const key = { apikey: "service-role-key-for-tests" };
  assert.equal((await handler(new Request("http://x/", { method: "POST" }))).status, 401);
  assert.equal((await handler(new Request("http://x/", { headers: key }))).status, 405);
  const bad = await handler(
    new Request("http://x/", { method: "POST", headers: key, body: '{"deploy_check":true}' }),
  );
  assert.equal(bad.status, 400);
  const ok = await handler(new Request("http://x/", { method: "POST", headers: key, body: "{}" }));
  assert.equal(ok.status, 200);
  const body = await ok.json();
  assert.deepEqual(body, { claimed: 1, delivered: 1, retried: 0, failed: 0, lost: 0 });
});
