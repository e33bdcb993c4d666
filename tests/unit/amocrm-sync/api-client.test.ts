/**
 * The AmoCRM API client with an injected clock and transport (the fake account's handler, no
 * network): request spacing at 7 req/s, backoff on 429 (Retry-After wins), one wait on a 403
 * block, no retry on 401, the deadline, 204 as an empty page, zod validation, the token's exp.
 */
import assert from "node:assert/strict";
import {
  AmoApiError,
  AmoDeadlineError,
  createAmoClient,
  retryAfterMs,
  tokenExpiry,
} from "../../../supabase/functions/_shared/amocrm/api-client.ts";
import { FakeCrm } from "../../fakes/amocrm-api.ts";
import { safeDestination } from "../../../supabase/functions/amocrm-sync/run.ts";

function harness(opts: { deadline?: number } = {}) {
  const crm = new FakeCrm("s3cr3t-tok");
  let clock = 1_000_000;
  const starts: number[] = [];
  const client = createAmoClient({
    baseUrl: "http://crm.test/",
    token: "s3cr3t-tok",
    fetch: (input) => {
      starts.push(clock);
      return Promise.resolve(
        crm.handle(new Request(String(input), { headers: { authorization: "Bearer s3cr3t-tok" } })),
      );
    },
    sleep: (ms) => {
      clock += ms;
      return Promise.resolve();
    },
    now: () => clock,
    deadline: opts.deadline ?? Infinity,
    backoffBaseMs: 100,
    blockWaitMs: 5_000,
  });
  return { crm, client, starts, clock: () => clock };
}

Deno.test("api client: request starts are at least 143 ms apart (7 per second)", async () => {
  const { client, starts } = harness();
  for (let i = 0; i < 10; i++) await client.leadsPage(0, 1);
  for (let i = 1; i < starts.length; i++) assert.ok(starts[i] - starts[i - 1] >= 143);
  // No window of 1000 ms holds more than 7 starts.
  for (const s of starts) assert.ok(starts.filter((t) => t >= s && t < s + 1000).length <= 7);
  assert.equal(client.calls, 10);
});

Deno.test("api client: 204 No Content is an empty, last page", async () => {
  const { client } = harness();
  assert.deepEqual(await client.leadsPage(0, 1), { items: [], hasNext: false });
  assert.deepEqual(await client.eventsPage(0, 10, ["lead_status_changed"], 1), {
    items: [],
    hasNext: false,
  });
});

Deno.test("api client: a 429 waits Retry-After, then exponential backoff, then gives up", async () => {
  const h = harness();
  h.crm.create({ id: 1, at: 100, status: 1, pipeline: 2, price: 3 });
  h.crm.faults.push({ status: 429, headers: { "retry-after": "2" } });
  const t0 = h.clock();
  const page = await h.client.leadsPage(0, 1);
  assert.equal(page.items.length, 1);
  assert.ok(h.clock() - t0 >= 2000);
  for (let i = 0; i < 5; i++) h.crm.faults.push({ status: 429 });
  await assert.rejects(
    h.client.leadsPage(0, 1),
    (e) => e instanceof AmoApiError && e.code === "rate_limited",
  );
});

Deno.test("api client: a 403 block is waited out once, a second 403 is 'blocked'", async () => {
  const h = harness();
  h.crm.faults.push({ status: 403 });
  const t0 = h.clock();
  await h.client.leadsPage(0, 1);
  assert.ok(h.clock() - t0 >= 5000);
  h.crm.faults.push({ status: 403 }, { status: 403 });
  await assert.rejects(
    h.client.leadsPage(0, 1),
    (e) => e instanceof AmoApiError && e.code === "blocked",
  );
});

Deno.test("api client: 401 is not retried and the error does not carry the token", async () => {
  const h = harness();
  h.crm.token = "other";
  const err = await h.client.leadsPage(0, 1).catch((e) => e);
  assert.ok(err instanceof AmoApiError && err.code === "unauthorized");
  assert.ok(!err.message.includes("s3cr3t"));
  assert.equal(h.client.calls, 1);
});

Deno.test("api client: no wait or request passes the deadline", async () => {
  const h = harness({ deadline: 1_000_000 + 1_000 });
  h.crm.faults.push({ status: 429, headers: { "retry-after": "5" } });
  await assert.rejects(h.client.leadsPage(0, 1), AmoDeadlineError);
  assert.equal(h.client.calls, 1);
});

Deno.test("api client: an answer that is not the documented shape fails with invalid_response", async () => {
  const client = createAmoClient({
    baseUrl: "http://crm.test",
    token: "t",
    fetch: () => Promise.resolve(Response.json({ _embedded: { leads: [{ id: "x" }] } })),
    sleep: () => Promise.resolve(),
    now: () => 0,
    deadline: Infinity,
  });
  await assert.rejects(
    client.leadsPage(0, 1),
    (e) => e instanceof AmoApiError && e.code === "invalid_response",
  );
});

Deno.test("tokenExpiry reads a JWT's exp; anything else is null", () => {
  const b64 = (o: unknown) => btoa(JSON.stringify(o)).replaceAll("=", "");
  assert.equal(
    tokenExpiry(`${b64({ alg: "RS256" })}.${b64({ exp: 1_900_000_000 })}.sig`),
    1_900_000_000_000,
  );
  assert.equal(tokenExpiry("not-a-jwt"), null);
  assert.equal(tokenExpiry(`a.${b64({ sub: 1 })}.c`), null);
  assert.equal(retryAfterMs("3", 0), 3000);
  assert.equal(retryAfterMs(null, 0), null);
});

Deno.test("safeDestination drops the webhook URL's query (it carries the secret)", () => {
  assert.equal(
    safeDestination("https://p.supabase.co/functions/v1/amocrm-webhook?secret=abc#x"),
    "https://p.supabase.co/functions/v1/amocrm-webhook",
  );
  assert.equal(safeDestination("weird?secret=1"), "weird");
});
