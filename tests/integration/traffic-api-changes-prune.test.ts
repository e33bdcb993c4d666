/**
 * traffic-api's change log (private.traffic_api_changes) is pruned by transaction id: a
 * transaction that ran longer than any age limit still invalidates a body cached while it was
 * running. (The log was pruned by age before: a 10-minute-old transaction's row was deleted as it
 * committed, and `traffic_api_changed_since` then said "no change" for a snapshot that had not seen
 * its writes.)
 */
import assert from "node:assert/strict";
import { db } from "../helpers/stack.ts";

const sql = db();
const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({
    name: `traffic-api change log: ${name}`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn,
  });

/** Runs the pg_cron prune job's own command, as pg_cron would. */
async function runPruneJob(): Promise<void> {
  const [job] = await sql<{ command: string }[]>`
    select command from cron.job where jobname = 'traffic-api-changes-prune'`;
  assert.ok(job, "the prune job is scheduled");
  await sql.unsafe(job.command);
}

async function changedSince(
  snapshot: string | null,
): Promise<{ changed: boolean; snapshot: string }> {
  const [r] = await sql<{ v: { changed: boolean; snapshot: string } }[]>`
    select public.traffic_api_changed_since(${snapshot}) as v`;
  return r.v;
}

test("a transaction older than any age limit, committed after a body's snapshot, is still a change", async () => {
  const long = await sql.reserve();
  try {
    await long`begin`;
    // A write to a global table the data routes read (no row needs to change: the statement
    // counts there; a per-team table's statement logs only when it changed a row, 20261208034300).
    await long`update public.exchange_rates set rate_kzt = rate_kzt where false`;
    // It began 11 minutes ago (what the old prune keyed on: the transaction's start time).
    const marked = await long`update private.traffic_api_changes
      set changed_at = now() - interval '11 minutes' where xid = pg_current_xact_id()`;
    assert.equal(marked.count, 1, "the writing transaction left its row");
    // A body is computed now, while the long transaction is still running.
    const { snapshot } = await changedSince(null);
    await long`commit`;
    // The job runs (twice: a full prune cycle) after the long transaction committed.
    await runPruneJob();
    await runPruneJob();
    const check = await changedSince(snapshot);
    assert.equal(check.changed, true, "the long transaction's writes are not in the kept body");
  } finally {
    // A failed assertion inside the transaction must not hand the pool an open one (the next
    // test's prune would wait on it forever: review R11 L4); after a commit this is a no-op.
    await long`rollback`.catch(() => {});
    long.release();
  }
});

test("pruning deletes only rows of transactions that had ended at the previous prune", async () => {
  await runPruneJob();
  const [h] = await sql<{ pruned_below: string; next_below: string; xmin: string }[]>`
    select pruned_below::text, next_below::text,
      pg_snapshot_xmin(pg_current_snapshot())::text as xmin
    from private.traffic_api_changes_horizon`;
  assert.ok(BigInt(h.pruned_below) <= BigInt(h.next_below));
  assert.ok(BigInt(h.next_below) <= BigInt(h.xmin), "never above a running transaction");
  const [left] = await sql`select count(*)::int as n from private.traffic_api_changes
    where xid < ${h.pruned_below}::xid8`;
  assert.equal(left.n, 0, "every row below the bound is gone");
  // A snapshot older than the bound cannot be judged any more: always "changed".
  const below = (BigInt(h.pruned_below) - 1n).toString();
  assert.equal((await changedSince(`${below}:${below}:`)).changed, true);
});

test("a running transaction's row survives any number of prunes", async () => {
  const long = await sql.reserve();
  try {
    await long`begin`;
    await long`update public.exchange_rates set rate_kzt = rate_kzt where false`;
    const [{ xid }] = await long`select pg_current_xact_id()::text as xid`;
    await runPruneJob();
    await runPruneJob();
    await runPruneJob();
    await long`commit`;
    const [r] = await sql`select count(*)::int as n from private.traffic_api_changes
      where xid = ${xid}::xid8`;
    assert.equal(r.n, 1);
  } finally {
    // A failed assertion inside the transaction must not hand the pool an open one (the next
    // test's prune would wait on it forever: review R11 L4); after a commit this is a no-op.
    await long`rollback`.catch(() => {});
    long.release();
  }
});

test("cleanup", async () => {
  await sql.end();
});
