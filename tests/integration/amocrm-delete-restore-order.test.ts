/**
 * A lead deleted, restored and deleted again in AmoCRM is deleted on the dashboard once
 * amocrm-sync has read the three events with AmoCRM's times (migration 20261207170000).
 *
 * Before, no delete or restore event carried a time, so a restore outranked every delete for
 * good, and the second delete webhook (byte-identical to the first) was stored once anyway: the
 * lead and its sale counted forever.
 */
import assert from "node:assert/strict";
import { lead, mapPipeline, uniqueId } from "../helpers/amocrm.ts";
import {
  ago,
  deliver,
  invokeSync,
  pauseScheduledSync,
  resetSyncState,
  startFakeCrm,
} from "../helpers/amocrm-sync.ts";
import { db } from "../helpers/stack.ts";

const WON = 142;

Deno.test("amocrm-sync: a lead deleted, restored and deleted again ends deleted, its sale reversed; restored again, it counts", async () => {
  const sql = db();
  const { crm, close } = startFakeCrm();
  // What the webhooks alone give is asserted between runs: no scheduled run may come between.
  const resume = await pauseScheduledSync(sql);
  try {
    await resetSyncState(sql);
    const pipeline = uniqueId();
    await mapPipeline(sql, pipeline, "express");
    const id = uniqueId();
    // Within the runs' overlap (AMOCRM_SYNC_OVERLAP_S, 300 s): the second run reads them again.
    const t0 = ago(0) - 200;
    crm.create({ id, at: t0, status: WON, pipeline, price: 50_000, utm: { source: "fb" } });
    crm.delete(id, t0 + 30);
    crm.restore(id, t0 + 60);
    crm.delete(id, t0 + 90);
    const bodies = crm.deliveries.map((d) => d.body);
    // The second delete webhook is the first one's bytes: AmoCRM's bodies carry no time.
    assert.equal(bodies[1], bodies[3]);
    await deliver(bodies.slice(0, 3));
    await deliver(bodies.slice(3));
    const sale = async () => {
      const [row] = await sql`select status, reversal_reason from public.traffic_sales
        where amocrm_lead_id = ${id}`;
      return row ? { status: row.status, reason: row.reversal_reason } : null;
    };
    // What the webhooks alone can tell (a restore outranks undated deletes): documented limit.
    assert.equal((await lead(sql, id)).is_deleted, false);

    const run = await invokeSync();
    assert.equal(run.status, 200, run.text);
    assert.equal((await lead(sql, id)).is_deleted, true, "deleted after the sync read the events");
    assert.deepEqual(await sale(), { status: "reversed", reason: "deleted" });

    // Restored once more. Its webhook is the first restore's bytes (stored once), so the lead
    // stays deleted until the next run reads the dated restore.
    crm.restore(id, ago(0) - 1);
    assert.equal(crm.deliveries.at(-1)!.body, bodies[2]);
    await deliver([crm.deliveries.at(-1)!.body]);
    assert.equal((await lead(sql, id)).is_deleted, true);
    const again = await invokeSync();
    assert.equal(again.status, 200, again.text);
    assert.equal((await lead(sql, id)).is_deleted, false, "restored after the next run");
    assert.deepEqual(await sale(), { status: "active", reason: null });

    // A replay of everything (webhooks and a run from the default window) changes nothing.
    await resetSyncState(sql);
    await deliver(crm.deliveries.map((d) => d.body));
    const replay = await invokeSync();
    assert.equal(replay.status, 200, replay.text);
    assert.equal((await lead(sql, id)).is_deleted, false);
    assert.deepEqual(await sale(), { status: "active", reason: null });
  } finally {
    await close();
    await resume();
    await sql.end();
  }
});

Deno.test("amocrm-sync: a restore webhook after a delete the sync has dated takes effect at the next run (the documented lag)", async () => {
  const sql = db();
  const { crm, close } = startFakeCrm();
  // What the webhooks alone give is asserted between runs: no scheduled run may come between.
  const resume = await pauseScheduledSync(sql);
  try {
    await resetSyncState(sql);
    const pipeline = uniqueId();
    await mapPipeline(sql, pipeline, "express");
    const id = uniqueId();
    const t0 = ago(0) - 200;
    crm.create({ id, at: t0, status: WON, pipeline, price: 70_000, utm: { source: "fb" } });
    crm.delete(id, t0 + 30);
    await deliver(crm.deliveries.map((d) => d.body));
    assert.equal((await lead(sql, id)).is_deleted, true, "the delete webhook counts at once");
    const run = await invokeSync();
    assert.equal(run.status, 200, run.text);
    assert.equal((await lead(sql, id)).is_deleted, true);

    // The restore's webhook is undated; the delete the run read carries AmoCRM's time and
    // outranks it until the next run reads the restore with its time (up to 10 minutes).
    crm.restore(id, ago(0) - 1);
    await deliver([crm.deliveries.at(-1)!.body]);
    assert.equal((await lead(sql, id)).is_deleted, true, "the lag: still deleted before the run");
    const next = await invokeSync();
    assert.equal(next.status, 200, next.text);
    assert.equal((await lead(sql, id)).is_deleted, false, "restored after the next run");
  } finally {
    await close();
    await resume();
    await sql.end();
  }
});
