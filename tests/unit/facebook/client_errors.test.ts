import assert from "node:assert/strict";
import { HttpResponse } from "../../deps.ts";
import {
  DataTooLargeError,
  DeferredError,
  FacebookApiError,
  ObjectMissingError,
  PermissionError,
  ThrottledError,
  TokenInvalidError,
} from "../../../supabase/functions/_shared/facebook/mod.ts";
import {
  assertNoSecrets,
  drain,
  errorResponse,
  fakeGraph,
  fixture,
  makeClient,
  pageResponse,
  params,
  rowsResponder,
  T0,
  TOKEN,
} from "./helpers.ts";

const usage = fixture<Record<string, Record<string, string>>>("usage-headers.json");

Deno.test("190/463 on the first call throws TokenInvalidError with no retry", async () => {
  const fake = fakeGraph([() => errorResponse("token_expired_190_463")]);
  try {
    const { client, clock, logger } = makeClient();
    const stream = client.fetchAccountInsights(params());
    const { error } = await drain(stream);
    assert.ok(error instanceof TokenInvalidError);
    assert.equal(error.kind, "token_invalid");
    assert.equal(error.code, 190);
    assert.equal(error.subcode, 463);
    assert.equal(error.fbtraceId, "H2il2t5bn4e");
    assert.equal(fake.calls.length, 1);
    assert.deepEqual(clock.waits, []);
    assertNoSecrets(logger.lines, error);
  } finally {
    fake.close();
  }
});

Deno.test("a token that expires mid-run: page 1 is yielded, page 2 answers 190/460", async () => {
  const fake = fakeGraph([
    () => pageResponse("insights-page-1.json"),
    () => errorResponse("password_changed_190_460"),
  ]);
  try {
    const { client, clock, logger } = makeClient();
    const { batches, error } = await drain(client.fetchAccountInsights(params()));
    assert.equal(batches.length, 1);
    assert.equal(batches[0].length, 2);
    assert.ok(error instanceof TokenInvalidError);
    assert.equal(error.subcode, 460);
    assert.equal(fake.calls.length, 2);
    assert.deepEqual(clock.waits, []);
    assertNoSecrets(logger.lines, error);
  } finally {
    fake.close();
  }
});

Deno.test("a deleted or inaccessible account (100/33) throws ObjectMissingError, not retried", async () => {
  const fake = fakeGraph([() => errorResponse("object_missing_100_33")]);
  try {
    const { client } = makeClient();
    const { error } = await drain(client.fetchAccountInsights(params()));
    assert.ok(error instanceof ObjectMissingError);
    assert.equal(error.kind, "object_missing");
    assert.equal(fake.calls.length, 1);
  } finally {
    fake.close();
  }
});

Deno.test("permission errors (#10, #200) throw PermissionError, not retried", async () => {
  for (const name of ["permission_10", "permission_200"]) {
    const fake = fakeGraph([() => errorResponse(name)]);
    try {
      const { client } = makeClient();
      const { error } = await drain(client.fetchAccountInsights(params()));
      assert.ok(error instanceof PermissionError, name);
      assert.equal(fake.calls.length, 1);
    } finally {
      fake.close();
    }
  }
});

Deno.test("an unknown 4xx (#3018) throws FacebookApiError, not retried", async () => {
  const fake = fakeGraph([() => errorResponse("start_too_old_3018")]);
  try {
    const { client } = makeClient();
    const { error } = await drain(client.fetchAccountInsights(params()));
    assert.ok(error instanceof FacebookApiError);
    assert.equal(error.kind, "api_error");
    assert.equal(error.code, 3018);
    assert.equal(fake.calls.length, 1);
  } finally {
    fake.close();
  }
});

Deno.test("80000 waits estimated_time_to_regain_access minutes (string value) and then succeeds", async () => {
  const buc = JSON.stringify({
    "798085168510957": [{
      type: "ads_insights",
      call_count: "100",
      estimated_time_to_regain_access: "7",
    }],
  });
  const fake = fakeGraph([
    () => errorResponse("buc_throttle_80000", { "x-business-use-case-usage": buc }),
    () => pageResponse("insights-page-last.json"),
  ]);
  try {
    const { client, clock } = makeClient();
    const stream = client.fetchAccountInsights(params());
    const { batches, error } = await drain(stream);
    assert.equal(error, null);
    assert.equal(batches.flat().length, 1);
    assert.deepEqual(clock.waits, [7 * 60_000]);
    assert.equal(stream.stats.retries, 1);
    assert.equal(stream.stats.apiCalls, 2);
  } finally {
    fake.close();
  }
});

Deno.test("17/2446079 on page 2 waits, then resumes from the same cursor", async () => {
  const fake = fakeGraph([
    () => pageResponse("insights-page-1.json"),
    () => errorResponse("account_quota_17_2446079"),
    () => pageResponse("insights-page-last.json"),
  ]);
  try {
    const { client, clock } = makeClient();
    const { batches, error } = await drain(client.fetchAccountInsights(params()));
    assert.equal(error, null);
    assert.deepEqual(batches.map((b) => b.length), [2, 1]);
    assert.deepEqual(fake.calls.map((u) => u.searchParams.get("after")), [
      null,
      "MQZDZD",
      "MQZDZD",
    ]);
    assert.deepEqual(clock.waits, [30_000]); // no regain hint: the backoff minimum
  } finally {
    fake.close();
  }
});

Deno.test("throttle retries are bounded: ThrottledError after two growing waits", async () => {
  const fake = fakeGraph([() => errorResponse("app_limit_4_1504022")]);
  try {
    const { client, clock, logger } = makeClient();
    const { error } = await drain(client.fetchAccountInsights(params()));
    assert.ok(error instanceof ThrottledError);
    assert.equal(error.kind, "throttled");
    assert.deepEqual(clock.waits, [30_000, 60_000]);
    assert.equal(fake.calls.length, 3);
    assertNoSecrets(logger.lines, error);
  } finally {
    fake.close();
  }
});

Deno.test("a throttle wait that would pass the deadline throws DeferredError without sleeping", async () => {
  const fake = fakeGraph([() => errorResponse("buc_throttle_80000")]); // regain 7 min
  try {
    const { client, clock } = makeClient();
    const { error } = await drain(
      client.fetchAccountInsights(params({ deadline: T0 + 60_000 })),
    );
    assert.ok(error instanceof DeferredError);
    assert.equal(error.kind, "deferred");
    assert.ok(error.reason instanceof ThrottledError);
    assert.equal(error.retryAfterMs, 7 * 60_000);
    assert.deepEqual(clock.waits, []);
    assert.equal(fake.calls.length, 1);
  } finally {
    fake.close();
  }
});

Deno.test("a regain time beyond the longest allowed wait defers instead of sleeping", async () => {
  const buc = JSON.stringify({
    "1": [{ type: "ads_insights", estimated_time_to_regain_access: 61 }],
  });
  const fake = fakeGraph([
    () => errorResponse("account_quota_17_2446079", { "x-business-use-case-usage": buc }),
  ]);
  try {
    const { client, clock } = makeClient();
    const { error } = await drain(client.fetchAccountInsights(params()));
    assert.ok(error instanceof DeferredError);
    assert.equal(error.retryAfterMs, 61 * 60_000);
    assert.deepEqual(clock.waits, []);
  } finally {
    fake.close();
  }
});

Deno.test("high usage headers pause before the next page", async () => {
  const fake = fakeGraph([
    () => pageResponse("insights-page-1.json", usage.high_usage),
    () => pageResponse("insights-page-last.json"),
  ]);
  try {
    const { client, clock } = makeClient();
    const { error } = await drain(client.fetchAccountInsights(params()));
    assert.equal(error, null);
    assert.deepEqual(clock.waits, [30_000]);
    assert.equal(fake.calls.length, 2);
  } finally {
    fake.close();
  }
});

Deno.test("code 1 'reduce the amount of data' halves the page size until Meta accepts it", async () => {
  const fake = fakeGraph([
    (url) =>
      Number(url.searchParams.get("limit")) > 125
        ? errorResponse("reduce_data_1")
        : pageResponse("insights-page-last.json"),
  ]);
  try {
    const { client, clock } = makeClient();
    const { batches, error } = await drain(client.fetchAccountInsights(params()));
    assert.equal(error, null);
    assert.equal(batches.flat().length, 1);
    assert.deepEqual(fake.calls.map((u) => u.searchParams.get("limit")), ["500", "250", "125"]);
    assert.deepEqual(clock.waits, []);
  } finally {
    fake.close();
  }
});

Deno.test("at the smallest page size, 'reduce the amount of data' splits the date range in halves", async () => {
  const range = (u: URL) => JSON.parse(u.searchParams.get("time_range")!);
  const fake = fakeGraph([(url) => {
    const { since, until } = range(url);
    if (since !== until) return errorResponse("data_limit_100_1487534");
    const row = fixture<{ data: Record<string, string>[] }>("insights-page-last.json").data[0];
    return HttpResponse.json({ data: [{ ...row, date_start: since, date_stop: since }] });
  }]);
  try {
    const { client } = makeClient({ pageSize: 100, minPageSize: 50 });
    const { batches, error } = await drain(client.fetchAccountInsights(params()));
    assert.equal(error, null);
    assert.deepEqual(batches.flat().map((r) => r.date_start), [
      "2026-05-01",
      "2026-05-02",
      "2026-05-03",
    ]);
    assert.deepEqual(fake.calls.map((u) => [u.searchParams.get("limit"), range(u)]), [
      ["100", { since: "2026-05-01", until: "2026-05-03" }],
      ["50", { since: "2026-05-01", until: "2026-05-03" }],
      ["50", { since: "2026-05-01", until: "2026-05-02" }],
      ["50", { since: "2026-05-01", until: "2026-05-01" }],
      ["50", { since: "2026-05-02", until: "2026-05-02" }],
      ["50", { since: "2026-05-03", until: "2026-05-03" }],
    ]);
  } finally {
    fake.close();
  }
});

Deno.test("one day at the smallest page that is still too much throws DataTooLargeError", async () => {
  const fake = fakeGraph([() => errorResponse("reduce_data_1")]);
  try {
    const { client } = makeClient();
    const { error } = await drain(
      client.fetchAccountInsights(params({ since: "2026-05-01", until: "2026-05-01" })),
    );
    assert.ok(error instanceof DataTooLargeError);
    assert.deepEqual(
      fake.calls.map((u) => u.searchParams.get("limit")),
      ["500", "250", "125", "62", "31", "25"],
    );
  } finally {
    fake.close();
  }
});

Deno.test("a throttle mid-pagination logs neither a URL nor the token", async () => {
  const pages = rowsResponder(3); // its next URLs carry access_token, like Meta's
  const fake = fakeGraph([
    (url, req) =>
      url.searchParams.get("after") ? errorResponse("account_quota_17_2446079") : pages(url, req),
  ]);
  try {
    const { client, logger } = makeClient({ pageSize: 2 });
    const { error } = await drain(client.fetchAccountInsights(params()));
    assert.ok(error instanceof ThrottledError);
    assert.ok(logger.lines.length > 0);
    assertNoSecrets(logger.lines, error);
    assert.ok(!logger.lines.some((l) => l.includes("after=")), "a URL was logged");
    assert.ok(fake.calls.some((u) => u.searchParams.get("access_token") === TOKEN));
  } finally {
    fake.close();
  }
});
