import assert from "node:assert/strict";
import { HttpResponse } from "../../deps.ts";
import { InvalidResponseError } from "../../../supabase/functions/_shared/facebook/mod.ts";
import {
  ACCOUNT,
  assertNoSecrets,
  BASE,
  drain,
  errorResponse,
  fakeGraph,
  fixture,
  makeClient,
  pageResponse,
  params,
  PROOF,
  rowsResponder,
  TOKEN,
  VERSION,
} from "./helpers.ts";

Deno.test("fetchAccountInsights() follows paging.next through an empty page until next is absent", async () => {
  const fake = fakeGraph([
    () => pageResponse("insights-page-1.json"),
    () => pageResponse("insights-page-2-empty-with-next.json"),
    () => pageResponse("insights-page-last.json"),
  ]);
  try {
    const { client, logger } = makeClient();
    const stream = client.fetchAccountInsights(params());
    const { batches, error } = await drain(stream);
    assert.equal(error, null);
    assert.deepEqual(batches.map((b) => b.length), [2, 1]); // the empty page yields nothing
    assert.equal(fake.calls.length, 3);
    assert.deepEqual(fake.calls.map((u) => u.searchParams.get("after")), [
      null,
      "MQZDZD",
      "MgZDZD",
    ]);
    assert.deepEqual(stream.stats, { apiCalls: 3, pages: 3, rows: 3, retries: 0, waitedMs: 0 });
    assertNoSecrets(logger.lines, null);
  } finally {
    fake.close();
  }
});

Deno.test("fetchAccountInsights() sends one daily, ad-level request per account with limit 500", async () => {
  const fake = fakeGraph([() => pageResponse("insights-empty.json")]);
  try {
    const { client } = makeClient();
    for (const accountId of [`act_${ACCOUNT}`, ACCOUNT]) {
      await drain(client.fetchAccountInsights(params({ accountId })));
    }
    for (const url of fake.calls) {
      assert.equal(url.origin + url.pathname, `${BASE}/${VERSION}/act_${ACCOUNT}/insights`);
      const q = url.searchParams;
      assert.equal(q.get("level"), "ad");
      assert.equal(q.get("time_increment"), "1");
      assert.equal(q.get("limit"), "500");
      assert.deepEqual(JSON.parse(q.get("time_range")!), {
        since: "2026-05-01",
        until: "2026-05-03",
      });
      assert.deepEqual(q.get("fields")!.split(","), [
        "account_id",
        "account_name",
        "account_currency",
        "campaign_id",
        "campaign_name",
        "adset_id",
        "adset_name",
        "ad_id",
        "ad_name",
        "spend",
        "impressions",
        "clicks",
        "reach",
        "actions",
        "cost_per_action_type",
        "date_start",
        "date_stop",
      ]);
      assert.equal(q.get("access_token"), TOKEN);
    }
  } finally {
    fake.close();
  }
});

Deno.test("filtering narrows to tracked campaigns and includes ARCHIVED and DELETED ads", async () => {
  const fake = fakeGraph([() => pageResponse("insights-empty.json")]);
  try {
    const { client } = makeClient();
    const campaignIds = ["23854404676180548", " 23854404676180549 ", "23854404676180548"];
    await drain(client.fetchAccountInsights(params({ campaignIds })));
    const filtering = JSON.parse(fake.calls[0].searchParams.get("filtering")!);
    assert.deepEqual(filtering[0], {
      field: "campaign.id",
      operator: "IN",
      value: ["23854404676180548", "23854404676180549"],
    });
    assert.equal(filtering[1].field, "ad.effective_status");
    assert.equal(filtering[1].operator, "IN");
    assert.deepEqual([...filtering[1].value].sort(), [
      "ACTIVE",
      "ADSET_PAUSED",
      "ARCHIVED",
      "CAMPAIGN_PAUSED",
      "DELETED",
      "DISAPPROVED",
      "IN_PROCESS",
      "PAUSED",
      "PENDING_BILLING_INFO",
      "PENDING_REVIEW",
      "PREAPPROVED",
      "WITH_ISSUES",
    ]);
  } finally {
    fake.close();
  }
});

Deno.test("filtering has no campaign.id clause when no campaigns are tracked", async () => {
  const fake = fakeGraph([() => pageResponse("insights-empty.json")]);
  try {
    const { client } = makeClient();
    await drain(client.fetchAccountInsights(params({ campaignIds: [] })));
    const filtering = JSON.parse(fake.calls[0].searchParams.get("filtering")!);
    assert.deepEqual(filtering.map((f: { field: string }) => f.field), ["ad.effective_status"]);
  } finally {
    fake.close();
  }
});

Deno.test("an empty account costs exactly one API call and yields nothing", async () => {
  const fake = fakeGraph([() => pageResponse("insights-empty.json")]);
  try {
    const { client } = makeClient();
    const stream = client.fetchAccountInsights(params());
    const { batches, error } = await drain(stream);
    assert.equal(error, null);
    assert.deepEqual(batches, []);
    assert.equal(stream.stats.apiCalls, 1);
  } finally {
    fake.close();
  }
});

Deno.test("API calls equal ceil(rows / page size) per account when nothing fails", async () => {
  for (const [total, pageSize] of [[1234, 500], [500, 500], [1, 500], [77, 25]]) {
    const fake = fakeGraph([rowsResponder(total)]);
    try {
      const { client } = makeClient({ pageSize });
      const stream = client.fetchAccountInsights(params());
      const { batches, error } = await drain(stream);
      assert.equal(error, null);
      assert.equal(batches.flat().length, total);
      assert.equal(stream.stats.apiCalls, Math.ceil(total / pageSize), `${total}/${pageSize}`);
      assert.ok(batches.every((b) => b.length <= pageSize));
    } finally {
      fake.close();
    }
  }
});

Deno.test("client.stats adds up the API calls of every account fetch", async () => {
  const fake = fakeGraph([rowsResponder(600)]);
  try {
    const { client } = makeClient();
    await drain(client.fetchAccountInsights(params()));
    await drain(client.fetchAccountInsights(params({ accountId: "1010035716096012" })));
    assert.equal(client.stats.apiCalls, 4);
    assert.equal(client.stats.rows, 1200);
  } finally {
    fake.close();
  }
});

Deno.test("ids above 2^53 survive exactly, even when Meta sends them as JSON numbers", async () => {
  const fake = fakeGraph([
    () => pageResponse("insights-page-last.json"),
    () => pageResponse("insights-numeric-ids.json"),
  ]);
  try {
    const { client } = makeClient();
    const a = await drain(client.fetchAccountInsights(params()));
    const b = await drain(client.fetchAccountInsights(params()));
    assert.equal(a.error, null);
    assert.equal(b.error, null);
    assert.ok(23854695759200549 > Number.MAX_SAFE_INTEGER);
    for (const row of [a.batches[0][0], b.batches[0][0]]) {
      assert.equal(row.ad_id, "23854695759200549");
      assert.equal(row.adset_id, "23854404706320548");
      assert.equal(row.campaign_id, "23854404676180548");
      assert.equal(row.account_id, "798085168510957");
    }
    const numeric = b.batches[0][0];
    assert.equal(numeric.spend, "14350.1"); // the JSON number 14350.10, kept exact
    assert.equal(numeric.impressions, 185);
    assert.equal(numeric.reach, null); // omitted by Meta: unknown, not zero
  } finally {
    fake.close();
  }
});

Deno.test("metrics arrive as strings: spend stays an exact decimal string, counts become integers", async () => {
  const fake = fakeGraph([
    () => pageResponse("insights-page-1.json"),
    () => pageResponse("insights-page-last.json"),
  ]);
  try {
    const { client } = makeClient();
    const { batches } = await drain(client.fetchAccountInsights(params()));
    const expected = fixture<{ data: Record<string, string>[] }>("insights-page-1.json").data;
    assert.deepEqual(batches[0].map((r) => r.spend), expected.map((r) => r.spend));
    assert.equal(typeof batches[0][0].spend, "string");
    assert.deepEqual(batches[0][0], {
      ...expected[0],
      impressions: 185,
      clicks: 9,
      reach: 170,
      actions: [], // the fixture's rows carry no actions: Meta omits the field then
    });
  } finally {
    fake.close();
  }
});

Deno.test("a row with a malformed spend or id fails the page with InvalidResponseError", async () => {
  const page = fixture<{ data: Record<string, unknown>[] }>("insights-page-last.json");
  for (
    const patch of [{ spend: "1e3" }, { spend: "-1.00" }, { ad_id: "12ab" }, { clicks: "9.5" }]
  ) {
    const fake = fakeGraph([() => HttpResponse.json({ data: [{ ...page.data[0], ...patch }] })]);
    try {
      const { client } = makeClient();
      const { error } = await drain(client.fetchAccountInsights(params()));
      assert.ok(error instanceof InvalidResponseError, JSON.stringify(patch));
      assert.equal(fake.calls.length, 1); // not retried
    } finally {
      fake.close();
    }
  }
});

Deno.test("paging.next on another origin is not followed; the cursor is used on the configured base", async () => {
  const fake = fakeGraph([
    () =>
      HttpResponse.json({
        data: [],
        paging: {
          cursors: { after: "QVFIUk" },
          next: "https://evil.example/v27.0/act_798085168510957/insights?after=QVFIUk",
        },
      }),
    () => pageResponse("insights-page-last.json"),
  ]);
  try {
    const { client } = makeClient();
    const { batches, error } = await drain(client.fetchAccountInsights(params()));
    assert.equal(error, null);
    assert.equal(batches.flat().length, 1);
    assert.equal(fake.calls.length, 2);
    assert.equal(fake.calls[1].origin, BASE);
    assert.equal(fake.calls[1].searchParams.get("after"), "QVFIUk");
    assert.equal(fake.calls[1].searchParams.get("level"), "ad"); // our own params kept
  } finally {
    fake.close();
  }
});

Deno.test("appsecret_proof is on every call, followed next URLs included", async () => {
  const fake = fakeGraph([
    () => pageResponse("insights-page-1.json"), // its next URL carries no proof
    () => pageResponse("insights-page-2-empty-with-next.json"),
    () => pageResponse("insights-page-last.json"),
  ]);
  try {
    const { client } = makeClient();
    await drain(client.fetchAccountInsights(params()));
    assert.equal(fake.calls.length, 3);
    for (const url of fake.calls) {
      assert.equal(url.searchParams.get("appsecret_proof"), PROOF);
      assert.equal(url.searchParams.get("access_token"), TOKEN); // "REDACTED" in next replaced
    }
  } finally {
    fake.close();
  }
});

Deno.test("without an app secret no appsecret_proof is sent", async () => {
  const fake = fakeGraph([() => pageResponse("insights-empty.json")]);
  try {
    const { client } = makeClient({ appSecret: undefined });
    await drain(client.fetchAccountInsights(params()));
    assert.equal(fake.calls[0].searchParams.has("appsecret_proof"), false);
  } finally {
    fake.close();
  }
});

Deno.test("bad account ids, campaign ids and dates fail before any request", async () => {
  const fake = fakeGraph([() => pageResponse("insights-empty.json")]);
  try {
    const { client } = makeClient();
    for (
      const bad of [
        { accountId: "act_12x" },
        { accountId: "" },
        { campaignIds: ["123", "abc"] },
        { since: "2026-05-04" },
        { until: "2026-02-30" },
        { token: "" },
      ]
    ) {
      const { error } = await drain(client.fetchAccountInsights(params(bad)));
      assert.equal((error as { kind?: string }).kind, "invalid_input", JSON.stringify(bad));
    }
    assert.equal(fake.calls.length, 0);
  } finally {
    fake.close();
  }
});

Deno.test("a next URL that repeats the current request fails instead of looping", async () => {
  const fake = fakeGraph([() => pageResponse("insights-page-1.json")]); // next → itself
  try {
    const { client } = makeClient();
    const { batches, error } = await drain(client.fetchAccountInsights(params()));
    assert.ok(error instanceof InvalidResponseError);
    assert.equal(batches.length, 2);
    assert.equal(fake.calls.length, 2);
  } finally {
    fake.close();
  }
});

Deno.test("`more` says, at each batch, whether another page will be asked for: false only at the last", async () => {
  const fake = fakeGraph([rowsResponder(1234)]);
  try {
    const { client } = makeClient();
    const stream = client.fetchAccountInsights(params());
    assert.equal(stream.more, true, "before the first batch");
    const seen: [number, boolean, number][] = [];
    for await (const b of stream) seen.push([b.length, stream.more, fake.calls.length]);
    // 500, 500, 234: the last batch says no more, and indeed no request followed it.
    assert.deepEqual(seen, [[500, true, 1], [500, true, 2], [234, false, 3]]);
    assert.equal(fake.calls.length, 3);
  } finally {
    fake.close();
  }
});

Deno.test("`more` stays true at the end of a split range's first half (the second half follows)", async () => {
  const range = (u: URL) => JSON.parse(u.searchParams.get("time_range")!);
  const fake = fakeGraph([(url) => {
    const { since, until } = range(url);
    if (since !== until) return errorResponse("data_limit_100_1487534");
    const row = fixture<{ data: Record<string, string>[] }>("insights-page-last.json").data[0];
    return HttpResponse.json({ data: [{ ...row, date_start: since, date_stop: since }] });
  }]);
  try {
    const { client } = makeClient({ pageSize: 100, minPageSize: 50 });
    const stream = client.fetchAccountInsights(params());
    const seen: [string, boolean][] = [];
    for await (const b of stream) seen.push([b[0].date_start, stream.more]);
    assert.deepEqual(seen, [["2026-05-01", true], ["2026-05-02", true], ["2026-05-03", false]]);
  } finally {
    fake.close();
  }
});

Deno.test("a page whose paging.next repeats it is yielded first (with `more` false), then fails", async () => {
  const fake = fakeGraph([(url) =>
    HttpResponse.json({
      data: fixture<{ data: unknown[] }>("insights-page-last.json").data,
      paging: { next: url.href },
    })]);
  try {
    const { client } = makeClient();
    const stream = client.fetchAccountInsights(params());
    const seen: boolean[] = [];
    let error: unknown = null;
    try {
      for await (const _b of stream) seen.push(stream.more);
    } catch (err) {
      error = err;
    }
    assert.deepEqual(seen, [false]);
    assert.ok(error instanceof InvalidResponseError, String(error));
    assert.equal(fake.calls.length, 1);
  } finally {
    fake.close();
  }
});
