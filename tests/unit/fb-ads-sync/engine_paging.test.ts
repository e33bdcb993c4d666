import assert from "node:assert/strict";
import { syncUser, syncUsers } from "../../../supabase/functions/fb-ads-sync/engine.ts";
import {
  daysBetween,
  expectedRows,
  grant,
  graphError,
  graphModel,
  makeAccount,
} from "../../fakes/graph-api.ts";
import { engine, memoryStore, plan, startGraph, target } from "./helpers.ts";

const U1 = "00000000-0000-4000-8000-000000000001";
const U2 = "00000000-0000-4000-8000-000000000002";

Deno.test("syncUser() follows next through empty pages and writes one batched upsert per page", async () => {
  const model = graphModel();
  const account = { ...makeAccount({ id: "798085168510957", adsPerCampaign: 300 }) };
  account.emptyPages = [0, 2]; // requests 1 and 3 return no rows but still have next
  grant(model, "tok-1", account);
  const graph = startGraph(model);
  try {
    const store = memoryStore();
    const { deps, clock } = engine(store);
    const u = await syncUser(deps, target(U1, "tok-1", ["act_798085168510957"]), plan(clock));
    assert.equal(u.outcome, "ok");
    // 300 ads x 3 days = 900 rows: pages of 500 and 400, plus the two empty pages.
    assert.equal(u.rows, 900);
    assert.equal(u.changed, 900);
    assert.equal(u.accounts[0].api_calls, 4);
    assert.equal(u.accounts[0].pages, 4);
    assert.deepEqual(store.upserts.map((b) => b.rows.length), [500, 400]);
    assert.equal(store.rows.size, 900);
    assert.equal(graph.calls.length, 4);
  } finally {
    graph.close();
  }
});

Deno.test("ids above 2^53 and exact decimal spend reach the store as text", async () => {
  const model = graphModel();
  const account = makeAccount({ id: "1010035716096012", campaigns: 1, adsPerCampaign: 1 });
  grant(model, "tok-1", account);
  const ad = account.ads[0];
  model.overrides.set(`${ad.ad_id}|2026-05-02`, { spend: "14350.10" });
  const graph = startGraph(model);
  try {
    const store = memoryStore();
    const { deps, clock } = engine(store);
    await syncUser(deps, target(U1, "tok-1", ["1010035716096012"]), plan(clock));
    const row = store.rows.get(`${U1}|${ad.ad_id}|2026-05-02`)!;
    assert.ok(BigInt(row.ad_id) > BigInt(Number.MAX_SAFE_INTEGER));
    assert.equal(row.ad_id, ad.ad_id);
    assert.equal(row.campaign_id, ad.campaign_id);
    assert.equal(row.adset_id, ad.adset_id);
    assert.equal(row.spend, "14350.1");
    assert.equal(row.stat_date, "2026-05-02");
  } finally {
    graph.close();
  }
});

Deno.test("API calls equal ceil(rows / 500) per account when nothing fails", async () => {
  const model = graphModel();
  const sizes = [[1, 1], [5, 100], [10, 50], [1, 167]]; // 3, 1500, 1500, 501 rows
  const accounts = sizes.map(([campaigns, adsPerCampaign], i) =>
    makeAccount({ id: `${700 + i}`, campaigns, adsPerCampaign })
  );
  grant(model, "tok-1", ...accounts);
  const graph = startGraph(model);
  try {
    const store = memoryStore();
    const { deps, clock } = engine(store, { accountConcurrency: 3 });
    const u = await syncUser(deps, target(U1, "tok-1", accounts.map((a) => a.id)), plan(clock));
    assert.deepEqual(u.accounts.map((a) => a.rows), [3, 1500, 1500, 501]);
    assert.deepEqual(u.accounts.map((a) => a.api_calls), [1, 3, 3, 2]);
    assert.equal(u.api_calls, graph.calls.length);
  } finally {
    graph.close();
  }
});

Deno.test("a second run writes nothing; a revised figure changes exactly that row", async () => {
  const model = graphModel();
  const account = makeAccount({ id: "701", campaigns: 2, adsPerCampaign: 3 });
  grant(model, "tok-1", account);
  const graph = startGraph(model);
  try {
    const store = memoryStore();
    const { deps, clock } = engine(store);
    const t = target(U1, "tok-1", ["701"]);
    const first = await syncUser(deps, t, plan(clock));
    const second = await syncUser(deps, t, plan(clock));
    assert.equal(first.changed, 18);
    assert.equal(second.rows, 18);
    assert.equal(second.changed, 0);
    model.overrides.set(`${account.ads[4].ad_id}|2026-05-02`, { spend: "999.99" });
    const third = await syncUser(deps, t, plan(clock));
    assert.equal(third.changed, 1);
    assert.equal(store.rows.get(`${U1}|${account.ads[4].ad_id}|2026-05-02`)!.spend, "999.99");
  } finally {
    graph.close();
  }
});

Deno.test("rows yielded twice after a code-1 range split are written once and counted once", async () => {
  const model = graphModel();
  const account = makeAccount({ id: "702", campaigns: 1, adsPerCampaign: 30 }); // 90 rows
  grant(model, "tok-1", account);
  // Page 2 of the 3-day range is "too much data" even at the smallest page: the client splits the
  // range and re-reads day 1, whose rows it had already yielded.
  const graph = startGraph(model, (call) => {
    const range = JSON.parse(call.url.searchParams.get("time_range")!);
    return call.url.searchParams.get("after") && range.since !== range.until
      ? graphError("reduce_data_1")
      : undefined;
  });
  try {
    const store = memoryStore();
    const { deps, clock } = engine(store, {}, { pageSize: 25, minPageSize: 25 });
    const u = await syncUser(deps, target(U1, "tok-1", ["702"]), plan(clock));
    assert.equal(u.outcome, "ok");
    const written = store.upserts.flatMap((b) => b.rows);
    assert.ok(written.length > 90, "some rows were upserted twice");
    assert.equal(u.rows, 90);
    assert.equal(u.changed, 90);
    assert.equal(store.rows.size, 90);
    for (const b of store.upserts) {
      const keys = b.rows.map((r) => `${r.ad_id}|${r.stat_date}`);
      assert.equal(new Set(keys).size, keys.length, "no duplicate key inside one batch");
    }
  } finally {
    graph.close();
  }
});

Deno.test("a deleted campaign's ads keep their spend; tracked campaigns narrow the rows", async () => {
  const model = graphModel();
  const account = makeAccount({
    id: "703",
    campaigns: 3,
    adsPerCampaign: 2,
    statuses: ["DELETED", "ARCHIVED", "ACTIVE", "PAUSED", "ACTIVE", "ACTIVE"],
  });
  grant(model, "tok-1", account);
  const graph = startGraph(model);
  try {
    const store = memoryStore();
    const { deps, clock } = engine(store);
    const deleted = account.ads[0].campaign_id; // its two ads are DELETED and ARCHIVED
    const tracked = [deleted, account.ads[2].campaign_id];
    const u = await syncUser(
      deps,
      target(U1, "tok-1", ["703"], { tracked_campaigns: tracked }),
      plan(clock),
    );
    assert.equal(u.outcome, "ok");
    const ads = account.ads.slice(0, 4);
    const want = expectedRows(model, account, ads, daysBetween("2026-05-01", "2026-05-03"));
    assert.equal(u.rows, want.length);
    for (const r of want) {
      const got = store.rows.get(`${U1}|${r.ad_id}|${r.date_start}`);
      assert.ok(got, `row for ${r.ad_name} on ${r.date_start}`);
      assert.equal(Number(got.spend), Number(r.spend));
    }
    assert.equal(store.rows.size, 12);
  } finally {
    graph.close();
  }
});

Deno.test("syncUsers() keeps each user's rows apart and the order of the targets", async () => {
  const model = graphModel();
  const a = makeAccount({ id: "704", adsPerCampaign: 1 });
  const b = makeAccount({ id: "705", adsPerCampaign: 2 });
  grant(model, "tok-1", a);
  grant(model, "tok-2", b);
  const graph = startGraph(model);
  try {
    const store = memoryStore();
    const { deps, clock } = engine(store);
    const users = await syncUsers(deps, [
      target(U1, "tok-1", ["704"]),
      target(U2, "tok-2", ["act_705", "705"]), // the same account twice: fetched once
    ], plan(clock));
    assert.deepEqual(users.map((u) => [u.user_id, u.rows]), [[U1, 3], [U2, 6]]);
    assert.equal(users[1].accounts.length, 1);
    assert.deepEqual(store.tokenStatus.map((s) => s.status), ["ok", "ok"]);
    assert.equal(store.locks.size, 0, "every lock released");
  } finally {
    graph.close();
  }
});
