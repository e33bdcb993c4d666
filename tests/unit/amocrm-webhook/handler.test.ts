/**
 * amocrm-webhook's handler called with `new Request(...)` over a fake store: the status code of
 * every refusal, that nothing is stored before the checks pass, and that a stored body is 200
 * whatever processing does.
 */
import assert from "node:assert/strict";
import { buildForm } from "../../../supabase/functions/_shared/amocrm/mod.ts";
import { sha256Hex } from "../../../supabase/functions/_shared/hash.ts";
import { fixture } from "../amocrm/fixtures.ts";
import type { DrainResult } from "../../../supabase/functions/amocrm-webhook/store.ts";
import { createDrainer } from "../../../supabase/functions/amocrm-webhook/drain.ts";
import { memoryLogger } from "../../../supabase/functions/_shared/logger.ts";
import { FakeStore, SECRET, setup, webhook } from "./fake.ts";

const ACCOUNT = { id: "31555001", subdomain: "kaspiacademy" };

function wonDeal(leadId = "501", extra: Record<string, string> = {}): string {
  return buildForm({
    leads: {
      status: [{
        id: leadId,
        status_id: "142",
        pipeline_id: "7340002",
        price: "490000",
        updated_at: "1718090000",
        ...extra,
      }],
    },
    account: ACCOUNT,
  });
}

async function errorCode(res: Response): Promise<string> {
  return (await res.json()).error.code;
}

Deno.test("amocrm-webhook answers 405 with Allow: POST to any other method", async () => {
  const { handler, store } = setup();
  for (const method of ["GET", "PUT", "DELETE", "OPTIONS"]) {
    const res = await handler(webhook(null, { method }));
    assert.equal(res.status, 405, method);
    assert.equal(res.headers.get("allow"), "POST");
    assert.equal(await errorCode(res), "method_not_allowed");
  }
  assert.equal(store.ingested.length, 0);
});

Deno.test("amocrm-webhook answers 404 to a sub-path", async () => {
  const { handler } = setup();
  const res = await handler(
    new Request("http://fn.local/amocrm-webhook/other", { method: "POST" }),
  );
  assert.equal(res.status, 404);
  await res.body?.cancel();
});

Deno.test("amocrm-webhook answers 500, logs why and stores nothing when the secret is unset", async () => {
  for (const secret of [undefined, "", "  "]) {
    const { handler, store, logger } = setup({ AMOCRM_WEBHOOK_SECRET: secret });
    const res = await handler(webhook(wonDeal(), { query: "?secret=anything" }));
    assert.equal(res.status, 500);
    assert.equal(await errorCode(res), "not_configured");
    assert.equal(store.ingested.length, 0);
    assert.match(logger.lines.join("\n"), /AMOCRM_WEBHOOK_SECRET is not set/);
  }
});

Deno.test("amocrm-webhook answers 401 to a missing, empty or wrong secret", async () => {
  const { handler, store } = setup();
  for (
    const query of [
      "",
      "?secret=",
      "?secret=wrong",
      `?secret=${SECRET}x`,
      `?secret=${SECRET.slice(0, -1)}`,
      `?Secret=${SECRET}`,
    ]
  ) {
    const res = await handler(webhook(wonDeal(), { query }));
    assert.equal(res.status, 401, query);
    assert.equal(await errorCode(res), "unauthorized");
  }
  assert.equal(store.ingested.length, 0);
});

Deno.test("amocrm-webhook answers 413 on a large Content-Length before reading the body", async () => {
  const { handler, store } = setup({ AMOCRM_MAX_BODY_BYTES: "1000" });
  let pulled = false;
  const body = new ReadableStream({
    pull() {
      pulled = true;
    },
  }, { highWaterMark: 0 });
  const res = await handler(webhook(body, { headers: { "content-length": "1001" } }));
  assert.equal(res.status, 413);
  assert.equal(await errorCode(res), "payload_too_large");
  assert.equal(pulled, false, "the body was not read");
  assert.equal(store.ingested.length, 0);
});

Deno.test("amocrm-webhook answers 413 when the bytes received exceed the limit", async () => {
  const { handler, store } = setup({ AMOCRM_MAX_BODY_BYTES: "1000" });
  const chunk = new TextEncoder().encode("a".repeat(400));
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ < 10) controller.enqueue(chunk);
      else controller.close();
    },
  });
  const res = await handler(webhook(body));
  assert.equal(res.status, 413);
  await res.body?.cancel();
  assert.ok(sent <= 4, `reading stopped early (sent ${sent} chunks)`);
  assert.equal(store.ingested.length, 0);
  const { handler: h2 } = setup({ AMOCRM_MAX_BODY_BYTES: String(wonDeal().length) });
  const atLimit = await h2(webhook(wonDeal()));
  assert.equal(atLimit.status, 200, "a body of exactly the limit is accepted");
  await atLimit.body?.cancel();
});

Deno.test("amocrm-webhook answers 400 to a body the parser rejects and keeps it as rejected", async () => {
  const { handler, store } = setup();
  const bodies = [
    "leads[status][0][id]=abc",
    "leads%5Badd%5D%5B0%5D%5Bid%5D=1&x=%E0",
    `leads[add][0]${"[x]".repeat(30)}=1`,
    "leads[add][0][id]=1&leads[add][0][price]=1e5",
    "leads[add][0][name]=a\u0000b&leads[add][0][id]=1",
  ];
  for (const body of bodies) {
    const res = await handler(webhook(body));
    assert.equal(res.status, 400, body);
    const err = (await res.json()).error;
    assert.equal(err.code, "invalid_webhook");
    assert.ok(err.message.length > 0);
  }
  assert.equal(store.ingested.length, 0, "nothing is stored as an event to apply");
  // Each is kept with the parser's reason; the NUL one (Postgres text cannot hold NUL) as base64.
  assert.deepEqual(store.rejected.map((r) => r.rawBody), bodies.slice(0, 4));
  assert.ok(store.rejected.every((r) => r.error.length > 0 && /^[0-9a-f]{64}$/.test(r.sha256)));
  assert.equal(store.undecodable.length, 1);
  const [nul] = store.undecodable;
  assert.equal(atob(nul.bodyBase64), bodies[4], "the exact bytes, NUL included");
  assert.equal(nul.error, "Body contains a NUL byte.");
  assert.equal(nul.sha256, await sha256Hex(bodies[4]), "SHA-256 of the bytes received");
});

Deno.test("amocrm-webhook keeps a body that is not UTF-8 byte for byte (base64) and answers 400", async () => {
  const { handler, store } = setup();
  const bytes = new Uint8Array([0x6c, 0x65, 0x61, 0x64, 0x73, 0x3d, 0xe0, 0xff, 0x00, 0x41]);
  const res = await handler(webhook(bytes));
  assert.equal(res.status, 400);
  assert.equal(await errorCode(res), "invalid_webhook");
  assert.equal(store.undecodable.length, 1);
  const kept = Uint8Array.from(atob(store.undecodable[0].bodyBase64), (c) => c.charCodeAt(0));
  assert.deepEqual(kept, bytes);
  assert.equal(store.undecodable[0].error, "Body is not valid UTF-8.");
});

Deno.test("amocrm-webhook answers 503 (retry) when a rejected body cannot be kept", async () => {
  for (const body of ["leads[status][0][id]=abc", "a\u0000b"]) {
    const { handler, store, logger } = setup();
    store.rejectError = new Error("db down");
    const res = await handler(webhook(body));
    assert.equal(res.status, 503, "a 400 would make the sender give up on a body nobody kept");
    assert.equal(await errorCode(res), "storage_unavailable");
    assert.ok(logger.lines.some((l) => l.includes("rejected webhook body NOT kept")));
  }
});

Deno.test("amocrm-webhook keeps a JSON body that carries the right secret (rejected), never routes it to the replay", async () => {
  const { handler, store } = setup();
  const body = JSON.stringify({ leads: { add: [{ id: "1" }] } });
  const res = await handler(
    webhook(body, { headers: { "content-type": "application/json; charset=utf-8" } }),
  );
  // Not AmoCRM's form encoding: stored (no lead events in it) or kept as rejected, never lost.
  assert.ok([200, 400].includes(res.status), `status ${res.status}`);
  await res.body?.cancel();
  const kept = [...store.ingested, ...store.rejected];
  assert.deepEqual(kept.map((r) => [r.rawBody, r.contentType]), [
    [body, "application/json; charset=utf-8"],
  ]);
  assert.deepEqual(store.replays, [], "not a replay");
  const invalid = await handler(
    webhook("leads[status][0][id]=abc", { headers: { "content-type": "application/json" } }),
  );
  assert.equal(invalid.status, 400);
  assert.equal(await errorCode(invalid), "invalid_webhook");
  assert.deepEqual(store.rejected.at(-1)?.rawBody, "leads[status][0][id]=abc");
});

Deno.test("amocrm-webhook treats ?replay as the admin call even next to a secret (the key is required)", async () => {
  const { handler, store } = setup();
  const res = await handler(webhook(null, { query: `?secret=${SECRET}&replay=failed` }));
  assert.equal(res.status, 401);
  await res.body?.cancel();
  assert.deepEqual(store.replays, []);
  assert.equal(store.ingested.length + store.rejected.length, 0);
});

Deno.test("amocrm-webhook answers 403 to another account id or subdomain when configured", async () => {
  const { handler, store } = setup({
    AMOCRM_ACCOUNT_ID: ACCOUNT.id,
    AMOCRM_SUBDOMAIN: ACCOUNT.subdomain,
  });
  const foreign = [
    { id: "999", subdomain: ACCOUNT.subdomain },
    { id: ACCOUNT.id, subdomain: "other" },
    { subdomain: ACCOUNT.subdomain },
    {},
  ];
  for (const account of foreign) {
    const body = buildForm({ leads: { add: [{ id: "1" }] }, account });
    const res = await handler(webhook(body));
    assert.equal(res.status, 403, JSON.stringify(account));
    assert.equal(await errorCode(res), "foreign_account");
  }
  assert.equal(store.ingested.length, 0, "nothing applied");
  // The right secret: kept as rejected with the reason (a wrong AMOCRM_ACCOUNT_ID loses nothing).
  assert.equal(store.rejected.length, foreign.length);
  assert.ok(
    store.rejected.every((r) => /^foreign account: account\[(id|subdomain)\]/.test(r.error)),
  );
  const upper = buildForm({
    leads: { add: [{ id: "1" }] },
    account: { id: ACCOUNT.id, subdomain: "KaspiAcademy" },
  });
  const ok = await handler(webhook(upper));
  assert.equal(ok.status, 200, "subdomains compare case-insensitively");
  await ok.body?.cancel();
});

Deno.test("amocrm-webhook accepts any account when neither variable is set", async () => {
  const { handler } = setup();
  const res = await handler(webhook(buildForm({ leads: { add: [{ id: "1" }] } })));
  assert.equal(res.status, 200);
  await res.body?.cancel();
});

Deno.test("amocrm-webhook stores the raw body and parsed payload in one call (Postgres hashes it)", async () => {
  const { handler, store } = setup({ AMOCRM_ACCOUNT_ID: ACCOUNT.id });
  const body = fixture("status");
  const res = await handler(webhook(body));
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {
    ok: true,
    event_id: 1,
    duplicate: false,
    status: "processed",
  });
  const [stored] = store.ingested;
  assert.equal(stored.rawBody, body);
  assert.equal("sha256" in stored, false, "no hash sent: amocrm_ingest_event computes it");
  assert.equal(stored.contentType, "application/x-www-form-urlencoded");
  assert.equal(stored.accountId, "31555001");
  assert.equal(stored.subdomain, "kaspiacademy");
  assert.equal(stored.eventCount, 1);
  assert.equal(stored.payload.events[0].statusId, "142");
  assert.deepEqual(store.processed, [1], "one call (store and process)");
  assert.equal(store.drains, 0, "processed when answered: no background drain");
});

Deno.test("amocrm-webhook answers 200 duplicate:true to the same body again", async () => {
  const { handler } = setup();
  const first = await (await handler(webhook(wonDeal()))).json();
  const again = await (await handler(webhook(wonDeal()))).json();
  assert.equal(first.duplicate, false);
  assert.equal(again.duplicate, true);
  assert.equal(again.event_id, first.event_id);
});

Deno.test("amocrm-webhook answers 503 and logs when the body cannot be stored", async () => {
  const { handler, store, logger } = setup();
  store.ingestError = new Error("connection refused");
  const res = await handler(webhook(wonDeal()));
  assert.equal(res.status, 503);
  assert.equal(res.headers.get("retry-after"), "5");
  const err = (await res.json()).error;
  assert.equal(err.code, "storage_unavailable");
  assert.doesNotMatch(err.message, /connection refused/, "internal errors stay in the logs");
  assert.match(logger.lines.join("\n"), /NOT stored.*connection refused/);
  const line = JSON.parse(logger.lines.find((l) => l.includes("NOT stored"))!);
  assert.equal(line.sha256, await sha256Hex(wonDeal()), "the log names the body by its hash");
  assert.deepEqual(store.processed, []);
});

Deno.test("amocrm-webhook answers 200 when processing reports a failure or could not run", async () => {
  const { handler, store, logger } = setup();
  store.statusImpl = () => Promise.resolve("failed");
  const failed = await handler(webhook(wonDeal("2")));
  assert.equal(failed.status, 200);
  assert.equal((await failed.json()).status, "failed");
  assert.match(logger.lines.join("\n"), /processing failed; stored for replay/);
  store.statusImpl = () => Promise.resolve("pending");
  const pending = await handler(webhook(wonDeal("3")));
  assert.equal(pending.status, 200);
  assert.equal((await pending.json()).status, "pending");
});

Deno.test("amocrm-webhook hands a pending body to ONE background drain at a time, via waitUntil", async () => {
  const { handler, store, waited } = setup();
  let release!: () => void;
  store.drainImpl = () =>
    new Promise((resolve) => {
      release = () => resolve({ more: false });
    });
  store.statusImpl = () => Promise.resolve("pending");
  for (const id of ["41", "42", "43"]) {
    const res = await handler(webhook(wonDeal(id)));
    assert.equal((await res.json()).status, "pending");
  }
  assert.equal(store.drains, 1, "one drain runs; the later kicks wait for it");
  assert.equal(waited.length, 3, "each answer keeps the running drain alive");
  store.drainImpl = () => Promise.resolve({ more: false });
  release();
  await Promise.all(waited);
  assert.equal(store.drains, 2, "bodies stored during the drain get exactly one more drain");

  // Processed when answered: nothing to drain.
  store.statusImpl = () => Promise.resolve("processed");
  await (await handler(webhook(wonDeal("44")))).body?.cancel();
  assert.equal(store.drains, 2);
  assert.equal(waited.length, 3);
});

Deno.test("amocrm-webhook leaves a body to its busy background drain and processes it alone when the drain is idle", async () => {
  const { handler, store, waited } = setup();
  let release!: () => void;
  store.drainImpl = () =>
    new Promise((resolve) => {
      release = () => resolve({ more: false });
    });
  store.statusImpl = () => Promise.resolve("pending");
  await (await handler(webhook(wonDeal("61")))).body?.cancel();
  await (await handler(webhook(wonDeal("62")))).body?.cancel();
  store.drainImpl = () => Promise.resolve({ more: false });
  release();
  await Promise.all(waited);
  store.statusImpl = () => Promise.resolve("processed");
  await (await handler(webhook(wonDeal("63")))).body?.cancel();
  assert.deepEqual(store.processFlags, [true, false, true]);
});

Deno.test("amocrm-webhook's background drain waits its delay and drains the kicks of that time in ONE call", async () => {
  const store = new FakeStore();
  store.drainImpl = () => Promise.resolve({ more: false });
  const drainer = createDrainer(store, memoryLogger(), 20);
  const kicks = [drainer.kick(), drainer.kick(), drainer.kick()];
  assert.equal(store.drains, 0, "nothing drained before the delay");
  await Promise.all(kicks);
  assert.equal(store.drains, 1, "three bodies answered pending, one batch");
});

Deno.test("amocrm-webhook's background drain goes on while bodies are left and logs a failure", async () => {
  const { handler, store, waited, logger } = setup();
  store.statusImpl = () => Promise.resolve("pending");
  const answers: DrainResult[] = [
    { more: true },
    { more: false },
  ];
  store.drainImpl = () => Promise.resolve(answers.shift()!);
  await (await handler(webhook(wonDeal("51")))).body?.cancel();
  await Promise.all(waited);
  assert.equal(store.drains, 2, "a drain stopped at its time limit is called again");

  store.drainImpl = () => Promise.reject(new Error("connection refused"));
  const res = await handler(webhook(wonDeal("52")));
  assert.equal(res.status, 200, "the body is stored: the answer does not wait for the drain");
  await res.body?.cancel();
  await Promise.all(waited);
  assert.match(logger.lines.join("\n"), /background drain .* failed.*connection refused/);
});

Deno.test("amocrm-webhook stores bodies with only other entities and answers 200", async () => {
  const { handler, store } = setup();
  store.statusImpl = () => Promise.resolve("ignored");
  const body = buildForm({ contacts: { add: [{ id: "9", name: "Иван" }] }, account: ACCOUNT });
  const res = await handler(webhook(body));
  assert.equal(res.status, 200);
  assert.equal((await res.json()).status, "ignored");
  assert.equal(store.ingested[0].eventCount, 0);
  assert.deepEqual(store.ingested[0].payload.ignored, [
    { entity: "contacts", action: "add", count: 1 },
  ]);
});

Deno.test("amocrm-webhook turns U+0000 in parsed values into U+FFFD so Postgres can store them", async () => {
  const { handler, store } = setup();
  const body = buildForm({ leads: { add: [{ id: "7", name: "a\u0000b" }] } });
  assert.ok(body.includes("%00"));
  const res = await handler(webhook(body));
  assert.equal(res.status, 200);
  await res.body?.cancel();
  assert.equal(store.ingested[0].rawBody, body);
  assert.equal(store.ingested[0].payload.events[0].name, "a\uFFFDb");
});
