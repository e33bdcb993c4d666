/**
 * The compaction of the aggregation's dirty marks (private.traffic_aggregate_dirty_compact, pg_cron
 * `traffic-aggregate-dirty-compact`) beside other sessions: a mark still uncommitted while it runs
 * is kept as it was written, and while an aggregation run holds the run lock it leaves the marks
 * alone (that run consumes them). pgTAP 233 pins what it makes of the marks it sees.
 */
import assert from "node:assert/strict";
import { db, whileHolding } from "../helpers/stack.ts";

const sql = db();
const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({
    name: `aggregate dirty marks: ${name}`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn,
  });

type Sql = typeof sql;
const RUN_LOCK = "public.traffic_aggregate_metrics";

/** Runs the pg_cron job's own command on `on`, as pg_cron would, and returns its answer. */
async function runCompactJob(on: Sql): Promise<Record<string, unknown>> {
  const [job] = await on<{ command: string }[]>`
    select command from cron.job where jobname = 'traffic-aggregate-dirty-compact'`;
  assert.ok(job, "the compaction job is scheduled");
  const [row] = await on.unsafe(job.command);
  return Object.values(row)[0] as Record<string, unknown>;
}

/**
 * Runs `body` with the aggregation run lock held by a session of its own (`own`): no run (pg_cron's
 * included) consumes marks meanwhile, and the compaction run on `own` still gets the lock (a
 * session's advisory locks are re-entrant), while on any other session it finds it taken. A
 * full-run mark other tests left (it would supersede the marks under test) is set aside for the
 * body and put back before the lock is released, so no run sees it missing.
 */
async function withRunsHeldOff(body: (own: Sql) => Promise<void>): Promise<void> {
  const own = await sql.reserve();
  await own`select pg_advisory_lock(hashtext(${RUN_LOCK}))`;
  const aside = await own`delete from private.traffic_aggregate_dirty where full_run returning 1`;
  try {
    await body(own as unknown as Sql);
  } finally {
    if (aside.length > 0) {
      await own`insert into private.traffic_aggregate_dirty (full_run) values (true)`;
    }
    await own`select pg_advisory_unlock(hashtext(${RUN_LOCK}))`;
    own.release();
  }
}

async function marksOf(user: string): Promise<{ first_day: string; last_day: string }[]> {
  return [
    ...await sql<{ first_day: string; last_day: string }[]>`
      select first_day::text, last_day::text from private.traffic_aggregate_dirty
      where user_id = ${user} order by first_day`,
  ];
}

test("a mark committed after the compaction's snapshot stays as written", async () => {
  await withRunsHeldOff(async (own) => {
    const user = crypto.randomUUID();
    await sql`insert into private.traffic_aggregate_dirty (user_id, first_day, last_day)
              values (${user}, '2031-01-01', '2031-01-01'), (${user}, '2031-01-05', '2031-01-05')`;
    const late = crypto.randomUUID();
    const answer = await whileHolding(
      sql,
      (tx) =>
        tx`insert into private.traffic_aggregate_dirty (user_id, first_day, last_day)
           values (${late}, '2031-02-01', '2031-02-01')`,
      () => runCompactJob(own),
    );
    assert.ok(typeof answer.marks_before === "number", JSON.stringify(answer));
    assert.deepEqual(await marksOf(user), [{ first_day: "2031-01-01", last_day: "2031-01-05" }]);
    assert.deepEqual(await marksOf(late), [{ first_day: "2031-02-01", last_day: "2031-02-01" }]);
    await sql`delete from private.traffic_aggregate_dirty where user_id in (${user}, ${late})`;
  });
});

test("while an aggregation run holds its lock, the compaction leaves the marks alone", async () => {
  await withRunsHeldOff(async (own) => {
    const user = crypto.randomUUID();
    await sql`insert into private.traffic_aggregate_dirty (user_id, first_day, last_day)
              values (${user}, '2031-03-01', '2031-03-01'), (${user}, '2031-03-02', '2031-03-02')`;
    assert.deepEqual(await runCompactJob(sql), { skipped: "an aggregation run holds the lock" });
    assert.equal((await marksOf(user)).length, 2);
    await runCompactJob(own);
    assert.deepEqual(await marksOf(user), [{ first_day: "2031-03-01", last_day: "2031-03-02" }]);
    await sql`delete from private.traffic_aggregate_dirty where user_id = ${user}`;
  });
});

test("cleanup", async () => {
  await sql.end();
});
