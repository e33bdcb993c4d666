import assert from "node:assert/strict";
import { runTotals } from "../../../supabase/functions/fb-ads-sync/outcome.ts";
import { syncUser, syncUsers } from "../../../supabase/functions/fb-ads-sync/engine.ts";
import { sha256Hex } from "../../../supabase/functions/_shared/hash.ts";
import { grant, graphError, makeAccount } from "../../fakes/graph-api.ts";
import {
  assertNoToken,
  engine,
  memoryStore,
  plan,
  startGraph,
  target,
  twoAccounts,
} from "./helpers.ts";

const U1 = "00000000-0000-4000-8000-000000000001";
const U2 = "00000000-0000-4000-8000-000000000002";
const TOKEN = "tok-Secret-1a2b3c4d5e6f";
const TOKEN2 = "tok-Secret-9z8y7x6w5v";

Deno.test("190 on the first account: user skipped, no retry, token marked invalid, never logged", async () => {
  const { model } = twoAccounts(TOKEN);
  model.expired.add(TOKEN);
  const graph = startGraph(model);
  try {
    const store = memoryStore();
    const { deps, clock, logger } = engine(store);
    const u = await syncUser(deps, target(U1, TOKEN, ["801", "802"]), plan(clock));
    assert.equal(u.outcome, "token_invalid");
    assert.deepEqual(u.accounts.map((a) => a.outcome), ["token_invalid", "skipped"]);
    assert.equal(graph.calls.length, 1, "no retry, the other account is not called");
    assert.deepEqual(clock.waits, []);
    assert.deepEqual(store.tokenStatus, [
      { userId: U1, sha256: await sha256Hex(TOKEN), status: "invalid" },
    ]);
    assert.match(u.errors[0], /code 190\/463/);
    assertNoToken([...logger.lines, JSON.stringify(u)], TOKEN);
  } finally {
    graph.close();
  }
});

Deno.test("a token that expires mid-run keeps the rows already written and stops the user", async () => {
  const { model } = twoAccounts(TOKEN, 900); // account 801: 900 rows = 2 pages
  const graph = startGraph(model, (_call, n) => {
    if (n === 2) model.expired.add(TOKEN); // Meta revokes it between page 1 and page 2
    return undefined;
  });
  try {
    const store = memoryStore();
    const { deps, clock, logger } = engine(store);
    const u = await syncUser(deps, target(U1, TOKEN, ["801", "802"]), plan(clock));
    assert.equal(u.outcome, "token_invalid");
    assert.equal(u.accounts[0].rows, 500, "page 1 was written");
    assert.equal(store.rows.size, 500);
    assert.equal(u.accounts[1].outcome, "skipped");
    assert.equal(graph.calls.length, 2);
    assert.equal(store.tokenStatus[0].status, "invalid");
    assertNoToken([...logger.lines, JSON.stringify(u)], TOKEN);
  } finally {
    graph.close();
  }
});

Deno.test("a permission error skips that account, the others sync, the run fails readably", async () => {
  const { model, b } = twoAccounts(TOKEN);
  model.accounts.set("803", makeAccount({ id: "803" })); // exists, but TOKEN may not read it
  const graph = startGraph(model);
  try {
    const store = memoryStore();
    const { deps, clock } = engine(store);
    const u = await syncUser(deps, target(U1, TOKEN, ["803", b.id]), plan(clock));
    assert.equal(u.outcome, "partial");
    assert.deepEqual(u.accounts.map((a) => a.outcome), ["permission", "ok"]);
    assert.equal(u.rows, 6);
    assert.equal(store.tokenStatus[0].status, "ok", "the token itself works");
    const totals = runTotals([u]);
    assert.equal(totals.success, false);
    assert.match(totals.error_message!, /partial - act_803: Meta API error \(HTTP 403, code 200\)/);
  } finally {
    graph.close();
  }
});

Deno.test("a missing account (100/33) is a warning: the rest syncs and the run succeeds", async () => {
  const { model } = twoAccounts(TOKEN);
  const graph = startGraph(model);
  try {
    const store = memoryStore();
    const { deps, clock } = engine(store);
    const u = await syncUser(deps, target(U1, TOKEN, ["999", "801"]), plan(clock));
    assert.equal(u.outcome, "ok");
    assert.deepEqual(u.accounts.map((a) => a.outcome), ["object_missing", "ok"]);
    assert.match(u.warnings[0], /^act_999: .*code 100\/33/);
    assert.equal(runTotals([u]).success, true);
  } finally {
    graph.close();
  }
});

const throttled = (regainMinutes: string) =>
  graphError("buc_throttle_80000", {
    "x-business-use-case-usage": JSON.stringify({
      "801": [{
        type: "ads_insights",
        call_count: "100",
        estimated_time_to_regain_access: regainMinutes,
      }],
    }),
    "x-fb-ads-insights-throttle": JSON.stringify({
      app_id_util_pct: "100",
      acc_id_util_pct: "99.5",
    }),
  });

Deno.test("a throttle with string-valued headers waits the regain time, then resumes", async () => {
  const { model } = twoAccounts(TOKEN);
  const graph = startGraph(model, (_c, n) => (n === 1 ? throttled("2") : undefined));
  try {
    const store = memoryStore();
    const { deps, clock } = engine(store);
    const u = await syncUser(deps, target(U1, TOKEN, ["801"]), plan(clock, 300_000));
    assert.equal(u.outcome, "ok");
    assert.deepEqual(clock.waits, [120_000], "estimated_time_to_regain_access is in minutes");
    assert.equal(u.accounts[0].waited_ms, 120_000);
    assert.equal(u.accounts[0].retries, 1);
    assert.equal(u.rows, 6);
  } finally {
    graph.close();
  }
});

Deno.test("a throttle longer than the budget defers the account; the next account still syncs", async () => {
  const { model } = twoAccounts(TOKEN);
  const graph = startGraph(model, (c) => (c.accountId === "801" ? throttled("7") : undefined));
  try {
    const store = memoryStore();
    const { deps, clock } = engine(store);
    const u = await syncUser(deps, target(U1, TOKEN, ["801", "802"]), plan(clock));
    assert.equal(u.outcome, "deferred");
    assert.deepEqual(u.accounts.map((a) => a.outcome), ["deferred", "ok"]);
    assert.equal(u.accounts[0].retry_after_ms, 420_000);
    assert.deepEqual(clock.waits, [], "it does not sleep past the budget");
    assert.equal(runTotals([u]).success, true, "deferring is not a failure");
  } finally {
    graph.close();
  }
});

Deno.test("a throttle that outlasts its retries defers the account (17/2446079, no headers)", async () => {
  const { model } = twoAccounts(TOKEN);
  const graph = startGraph(model, () => graphError("account_quota_17_2446079"));
  try {
    const { deps, clock } = engine(memoryStore());
    const u = await syncUser(deps, target(U1, TOKEN, ["801"]), plan(clock, 300_000));
    assert.equal(u.accounts[0].outcome, "deferred");
    assert.equal(u.accounts[0].api_calls, 3);
    assert.deepEqual(clock.waits, [30_000, 60_000]);
  } finally {
    graph.close();
  }
});

Deno.test("transient failures that outlast the retries fail that user only", async () => {
  const { model } = twoAccounts(TOKEN);
  const other = makeAccount({ id: "804", adsPerCampaign: 1 });
  grant(model, TOKEN2, other);
  const graph = startGraph(
    model,
    (c) => (c.accountId === "801" ? graphError("unavailable_2") : undefined),
  );
  try {
    const { deps, clock } = engine(memoryStore(), { userConcurrency: 1 });
    const users = await syncUsers(deps, [
      target(U1, TOKEN, ["801"]),
      target(U2, TOKEN2, ["804"]),
    ], plan(clock, 300_000));
    assert.deepEqual(users.map((u) => u.outcome), ["failed", "ok"]);
    assert.equal(users[0].accounts[0].api_calls, 5);
    assert.match(users[0].errors[0], /HTTP 503, code 2/);
    assert.equal(users[1].rows, 3);
  } finally {
    graph.close();
  }
});
