import assert from "node:assert/strict";
import { HttpResponse } from "../../deps.ts";
import {
  DeferredError,
  TokenInvalidError,
  TransientError,
} from "../../../supabase/functions/_shared/facebook/mod.ts";
import {
  assertNoSecrets,
  BASE,
  drain,
  errorResponse,
  fakeGraph,
  makeClient,
  pageResponse,
  params,
  PROOF,
  T0,
  TOKEN,
} from "./helpers.ts";

Deno.test("5xx then success: backs off exponentially and returns the rows", async () => {
  const fake = fakeGraph([
    () => errorResponse("unavailable_2"),
    () => new HttpResponse("<html>Bad Gateway</html>", { status: 502 }),
    () => errorResponse("unknown_1_99"),
    () => pageResponse("insights-page-last.json"),
  ]);
  try {
    const { client, clock } = makeClient();
    const stream = client.fetchAccountInsights(params());
    const { batches, error } = await drain(stream);
    assert.equal(error, null);
    assert.equal(batches.flat().length, 1);
    assert.deepEqual(clock.waits, [2_000, 4_000, 8_000]);
    assert.equal(stream.stats.apiCalls, 4);
    assert.equal(stream.stats.retries, 3);
    assert.equal(stream.stats.waitedMs, 14_000);
  } finally {
    fake.close();
  }
});

Deno.test("backoff waits carry jitter within ±20%", async () => {
  const fake = fakeGraph([
    () => errorResponse("unavailable_2"),
    () => pageResponse("insights-empty.json"),
  ]);
  try {
    for (const [r, expected] of [[0, 1_600], [0.999999, 2_400]]) {
      const { client, clock } = makeClient({ random: () => r });
      fake.calls.length = 0;
      await drain(client.fetchAccountInsights(params()));
      assert.deepEqual(clock.waits, [expected]);
    }
  } finally {
    fake.close();
  }
});

Deno.test("retry exhaustion: five transient failures throw TransientError after four waits", async () => {
  const fake = fakeGraph([() => errorResponse("call_not_successful_503")]);
  try {
    const { client, clock } = makeClient();
    const { error } = await drain(client.fetchAccountInsights(params()));
    assert.ok(error instanceof TransientError);
    assert.equal(error.kind, "transient");
    assert.equal(error.attempts, 5);
    assert.equal(error.httpStatus, 503);
    assert.equal(fake.calls.length, 5);
    assert.deepEqual(clock.waits, [2_000, 4_000, 8_000, 16_000]);
  } finally {
    fake.close();
  }
});

Deno.test("network errors are retried, and their messages never carry the URL or token", async () => {
  let calls = 0;
  const failingFetch: typeof fetch = (input) => {
    calls++;
    return Promise.reject(new TypeError(`error sending request for url (${String(input)})`));
  };
  const { client, clock, logger } = makeClient({ fetch: failingFetch });
  const { error } = await drain(client.fetchAccountInsights(params()));
  assert.ok(error instanceof TransientError);
  assert.match(error.message, /^Network error: TypeError: error sending request for url/);
  assert.equal(calls, 5);
  assert.equal(clock.waits.length, 4);
  assertNoSecrets(logger.lines, error);
  assert.ok(!error.message.includes(BASE));
});

Deno.test("a request that hangs is aborted by its timeout and retried", async () => {
  let calls = 0;
  const hangingOnce: typeof fetch = (_input, init) => {
    calls++;
    if (calls > 1) return Promise.resolve(Response.json({ data: [] }));
    return new Promise((_resolve, reject) => {
      init?.signal?.addEventListener(
        "abort",
        () => reject(new DOMException("aborted", "AbortError")),
      );
    });
  };
  const { client, clock } = makeClient({ fetch: hangingOnce, retry: { requestTimeoutMs: 5 } });
  const stream = client.fetchAccountInsights(params());
  const { error } = await drain(stream);
  assert.equal(error, null);
  assert.equal(calls, 2);
  assert.deepEqual(clock.waits, [2_000]);
});

Deno.test("a retry wait that would pass the deadline throws DeferredError carrying the cause", async () => {
  const fake = fakeGraph([() => errorResponse("unavailable_2")]);
  try {
    const { client, clock } = makeClient();
    const { error } = await drain(client.fetchAccountInsights(params({ deadline: T0 + 1_000 })));
    assert.ok(error instanceof DeferredError);
    assert.ok(error.reason instanceof TransientError);
    assert.equal(fake.calls.length, 1);
    assert.deepEqual(clock.waits, []);
  } finally {
    fake.close();
  }
});

Deno.test("a deadline already passed defers before any request", async () => {
  const fake = fakeGraph([() => pageResponse("insights-empty.json")]);
  try {
    const { client } = makeClient();
    const { error } = await drain(client.fetchAccountInsights(params({ deadline: T0 - 1 })));
    assert.ok(error instanceof DeferredError);
    assert.equal(fake.calls.length, 0);
  } finally {
    fake.close();
  }
});

Deno.test("the caller's abort signal stops the fetch without a retry", async () => {
  const ctrl = new AbortController();
  const fake = fakeGraph([() => {
    ctrl.abort(new Error("run cancelled"));
    return errorResponse("unavailable_2");
  }]);
  try {
    const { client, clock } = makeClient();
    const { error } = await drain(client.fetchAccountInsights(params({ signal: ctrl.signal })));
    assert.ok(error instanceof Error);
    assert.equal(error.message, "run cancelled");
    assert.equal(fake.calls.length, 1);
    assert.ok(clock.waits.length <= 1);
  } finally {
    fake.close();
  }
});

Deno.test("the token never appears in logs or error messages, even when Meta echoes it", async () => {
  const echo = {
    error: {
      message: `Invalid OAuth access token - Cannot parse access token ${TOKEN} (proof ${PROOF})`,
      type: "OAuthException",
      code: 190,
    },
  };
  const fake = fakeGraph([
    () => errorResponse("unavailable_2"),
    () => errorResponse("app_limit_4_1504022"),
    () => HttpResponse.json(echo, { status: 400 }),
  ]);
  try {
    const { client, logger } = makeClient();
    const { error } = await drain(client.fetchAccountInsights(params()));
    assert.ok(error instanceof TokenInvalidError);
    assert.match(error.message, /Cannot parse access token \[redacted\]/);
    assert.equal(logger.lines.length, 2); // the two retries
    assertNoSecrets(logger.lines, error);
    assert.ok(!JSON.stringify(error).includes(TOKEN));
  } finally {
    fake.close();
  }
});
