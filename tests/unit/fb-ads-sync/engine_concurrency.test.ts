/**
 * Concurrency counts Graph requests: a slow database write never holds a Graph slot (issue 11
 * item 4 — wall time within 1.2x pages x latency / allowed concurrency). An account's slot goes
 * to the next account once its last page has arrived, a user's slot to the next user once all of
 * its accounts have been fetched, and never more than users x accounts requests are in flight.
 */
import assert from "node:assert/strict";
import { syncUsers } from "../../../supabase/functions/fb-ads-sync/engine.ts";
import type { AdsRow } from "../../../supabase/functions/fb-ads-sync/store.ts";
import { grant, graphModel, makeAccount } from "../../fakes/graph-api.ts";
import { engine, memoryStore, plan, startGraph, target } from "./helpers.ts";

const TOKEN = "tok-Secret-concurrency-42";
const U = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;

/** A store whose writes wait until `open()` (or `ms` elapse); `log` records the order. */
function gatedStore(targets: ReturnType<typeof target>[], ms = 3000) {
  const store = memoryStore(targets);
  const log: string[] = [];
  let open!: () => void;
  const gate = new Promise<void>((ok) => {
    open = ok;
    setTimeout(ok, ms);
  });
  const upsert = store.upsertInsights.bind(store);
  store.upsertInsights = async (userId: string, rows: AdsRow[], at: string) => {
    log.push(`write ${rows[0].account_id} start`);
    await gate;
    log.push(`write ${rows[0].account_id} end`);
    return await upsert(userId, rows, at);
  };
  return { store, log, open: () => open() };
}

Deno.test("an account's Graph slot goes to the next account while its last write is still running", async () => {
  const model = graphModel();
  grant(model, TOKEN, makeAccount({ id: "701" }), makeAccount({ id: "702" }));
  const g = gatedStore([]);
  const graph = startGraph(model, (call) => {
    g.log.push(`fetch ${call.accountId}`);
    if (call.accountId === "702") g.open(); // the write of 701 may end now
    return undefined;
  });
  try {
    const { deps, clock } = engine(g.store, { accountConcurrency: 1 });
    const [u] = await syncUsers(deps, [target(U(1), TOKEN, ["701", "702"])], plan(clock));
    assert.equal(u.outcome, "ok");
    assert.ok(
      g.log.indexOf("fetch 702") < g.log.indexOf("write 701 end"),
      `702 was fetched only after 701's write ended: ${g.log.join(", ")}`,
    );
    assert.equal(u.rows, 2 * 6);
  } finally {
    graph.close();
  }
});

Deno.test("a user's slot goes to the next user once its accounts are fetched, before its writes end", async () => {
  const model = graphModel();
  grant(model, TOKEN, makeAccount({ id: "711" }), makeAccount({ id: "712" }));
  const g = gatedStore([]);
  const graph = startGraph(model, (call) => {
    g.log.push(`fetch ${call.accountId}`);
    if (call.accountId === "712") g.open();
    return undefined;
  });
  try {
    const { deps, clock } = engine(g.store, { userConcurrency: 1, accountConcurrency: 1 });
    const users = await syncUsers(deps, [
      target(U(1), TOKEN, ["711"]),
      target(U(2), TOKEN, ["712"]),
    ], plan(clock));
    assert.deepEqual(users.map((u) => u.outcome), ["ok", "ok"]);
    assert.ok(
      g.log.indexOf("fetch 712") < g.log.indexOf("write 711 end"),
      `user 2 started only after user 1's write ended: ${g.log.join(", ")}`,
    );
    assert.equal(g.store.locks.size, 0, "both leases released");
  } finally {
    graph.close();
  }
});

Deno.test("never more than users x accounts Graph requests in flight, and the pool is kept full", async () => {
  const model = graphModel({ latencyMs: 20 });
  const ids = Array.from({ length: 12 }, (_, i) => String(720 + i));
  const accounts = ids.map((id) => makeAccount({ id, campaigns: 1, adsPerCampaign: 300 })); // 900 rows: 2 pages
  grant(model, TOKEN, ...accounts);
  const store = memoryStore();
  let inFlight = 0, peak = 0;
  const samples: number[] = [];
  const graph = startGraph(model);
  try {
    const { deps, clock } = engine(store, { userConcurrency: 2, accountConcurrency: 2 });
    const fetch0 = globalThis.fetch;
    globalThis.fetch = async (input, init) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      samples.push(inFlight);
      try {
        return await fetch0(input, init);
      } finally {
        inFlight--;
      }
    };
    try {
      const users = await syncUsers(deps, [
        target(U(1), TOKEN, ids.slice(0, 5)),
        target(U(2), TOKEN, ids.slice(5, 7)),
        target(U(3), TOKEN, ids.slice(7)),
      ], plan(clock));
      assert.deepEqual(users.map((u) => u.outcome), ["ok", "ok", "ok"]);
    } finally {
      globalThis.fetch = fetch0;
    }
    assert.equal(peak, 4, `peak in flight ${peak}`);
    assert.equal(graph.calls.length, 24, "2 pages per account, no more");
    // With 24 requests and 4 slots, all but the tail start with the pool full.
    const full = samples.filter((n) => n === 4).length;
    assert.ok(full >= 12, `the pool was full for only ${full} of ${samples.length} starts`);
  } finally {
    graph.close();
  }
});

Deno.test("an account of several pages hands its slot on at its last page, not after its first write", async () => {
  const model = graphModel();
  // 6 rows at 2 a page: 3 pages, as many as MAX_QUEUED_WRITES (the bench's accounts: 1,500 rows).
  grant(model, TOKEN, makeAccount({ id: "741" }), makeAccount({ id: "742" }));
  const g = gatedStore([]);
  const graph = startGraph(model, (call) => {
    g.log.push(`fetch ${call.accountId}`);
    if (call.accountId === "742") g.open(); // the writes of 741 may end now
    return undefined;
  });
  try {
    const { deps, clock } = engine(g.store, { accountConcurrency: 1 }, { pageSize: 2 });
    const [u] = await syncUsers(deps, [target(U(1), TOKEN, ["741", "742"])], plan(clock));
    assert.equal(u.outcome, "ok");
    assert.equal(g.log.filter((l) => l === "fetch 741").length, 3, "741 took 3 pages");
    assert.ok(
      g.log.indexOf("fetch 742") < g.log.indexOf("write 741 end"),
      `742 was fetched only after 741's first write ended: ${g.log.join(", ")}`,
    );
    assert.equal(u.rows, 2 * 6);
  } finally {
    graph.close();
  }
});
