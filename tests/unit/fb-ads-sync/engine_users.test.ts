import assert from "node:assert/strict";
import { runOutcome, runTotals } from "../../../supabase/functions/fb-ads-sync/outcome.ts";
import { syncUser, syncUsers } from "../../../supabase/functions/fb-ads-sync/engine.ts";
import { grant, makeAccount } from "../../fakes/graph-api.ts";
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

Deno.test("a database failure for one user does not stop the next user", async () => {
  const { model } = twoAccounts(TOKEN);
  grant(model, TOKEN2, makeAccount({ id: "804", adsPerCampaign: 1 }));
  const graph = startGraph(model);
  try {
    const store = memoryStore();
    store.failUpsertFor.add(U1);
    const { deps, clock } = engine(store);
    const users = await syncUsers(deps, [
      target(U1, TOKEN, ["801"]),
      target(U2, TOKEN2, ["804"]),
    ], plan(clock));
    assert.deepEqual(users.map((u) => u.outcome), ["failed", "ok"]);
    assert.match(users[0].errors[0], /fb_upsert_insights failed/);
    assert.equal(store.locks.size, 0);
  } finally {
    graph.close();
  }
});

Deno.test("a user whose lease is held is skipped without calling Meta, and that is no success", async () => {
  const { model } = twoAccounts(TOKEN);
  const graph = startGraph(model);
  try {
    const store = memoryStore();
    store.locks.set(`fb-ads-sync:${U1}`, "someone-else");
    const { deps, clock } = engine(store);
    const u = await syncUser(deps, target(U1, TOKEN, ["801"]), plan(clock));
    assert.equal(u.outcome, "skipped");
    assert.equal(graph.calls.length, 0);
    assert.match(u.warnings[0], /^busy: another run holds this user's lease/);
    const totals = runTotals([u]);
    assert.equal(totals.success, false, "a run that synced nobody did not succeed");
    assert.equal(totals.users_processed, 0);
    assert.equal(totals.records_synced, 0);
    assert.match(totals.error_message!, /^1 of 1 user\(s\) skipped, nothing synced for them: /);
    assert.equal(runOutcome([u]), "busy");
  } finally {
    graph.close();
  }
});

Deno.test("no token anywhere: no_token; FACEBOOK_ADS_TOKEN is the fallback and is never marked", async () => {
  const { model } = twoAccounts(TOKEN);
  const graph = startGraph(model);
  try {
    const store = memoryStore();
    const { deps, clock, logger } = engine(store, { fallbackToken: TOKEN });
    const none = await syncUser(
      { ...deps, fallbackToken: undefined },
      target(U1, null, ["801"]),
      plan(clock),
    );
    assert.equal(none.outcome, "no_token");
    const u = await syncUser(deps, target(U1, null, ["801"]), plan(clock));
    assert.equal(u.token_source, "fallback");
    assert.equal(u.outcome, "ok");
    model.expired.add(TOKEN);
    const rejected = await syncUser(deps, target(U1, null, ["801"]), plan(clock));
    assert.equal(rejected.outcome, "token_invalid");
    assert.deepEqual(store.tokenStatus, [], "the user's own token status is not touched");
    assertNoToken([...logger.lines, JSON.stringify([u, rejected])], TOKEN);
  } finally {
    graph.close();
  }
});

Deno.test("a token marked invalid earlier is not sent again; a spent budget defers without calls", async () => {
  const { model } = twoAccounts(TOKEN);
  const graph = startGraph(model);
  try {
    const { deps, clock } = engine(memoryStore());
    const marked = target(U1, TOKEN, ["801"], { token_status: "invalid" });
    assert.equal((await syncUser(deps, marked, plan(clock))).outcome, "token_invalid");
    const late = await syncUser(deps, target(U1, TOKEN, ["801"]), plan(clock, 0));
    assert.equal(late.outcome, "deferred");
    assert.equal(graph.calls.length, 0);
  } finally {
    graph.close();
  }
});

Deno.test("a Meta error that echoes the token and the next URL is scrubbed everywhere", async () => {
  const { model } = twoAccounts(TOKEN);
  const graph = startGraph(model, (c) =>
    Response.json({
      error: {
        message: `Bad request ${c.token} ${c.url.href}`,
        type: "OAuthException",
        code: 3018,
      },
    }, { status: 400 }));
  try {
    const { deps, clock, logger } = engine(memoryStore());
    const u = await syncUser(deps, target(U1, TOKEN, ["801"]), plan(clock));
    assert.equal(u.outcome, "failed");
    assert.match(u.errors[0], /\[redacted\]/);
    assertNoToken([...logger.lines, JSON.stringify(u), runTotals([u]).error_message!], TOKEN);
  } finally {
    graph.close();
  }
});
