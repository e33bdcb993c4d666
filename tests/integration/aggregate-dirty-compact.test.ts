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

/** Runs the pg_cron job's own command, as pg_cron would, and returns its answer. */
async function runCompactJob(): Promise<Record<string, unknown>> {
  const [job] = await sql<{ command: string }[]>`
    select command from cron.job where jobname = 'traffic-aggregate-dirty-compact'`;
  assert.ok(job, "the compaction job is scheduled");
  const [row] = await sql.unsafe(job.command);
  return Object.values(row)[0] as Record<string, unknown>;
}

async function marksOf(user: string): Promise<{ first_day: string; last_day: string }[]> {
  return [
    ...await sql<{ first_day: string; last_day: string }[]>`
      select first_day::text, last_day::text from private.traffic_aggregate_dirty
      where user_id = ${user} order by first_day`,
  ];
}

test("a mark committed after the compaction's snapshot stays as written", async () => {
  const user = crypto.randomUUID();
  await sql`insert into private.traffic_aggregate_dirty (user_id, first_day, last_day)
            values (${user}, '2031-01-01', '2031-01-01'), (${user}, '2031-01-05', '2031-01-05')`;
  const late = crypto.randomUUID();
  const answer = await whileHolding(
    sql,
    (tx) =>
      tx`insert into private.traffic_aggregate_dirty (user_id, first_day, last_day)
         values (${late}, '2031-02-01', '2031-02-01')`,
    () => runCompactJob(),
  );
  assert.ok(typeof answer.marks_before === "number", JSON.stringify(answer));
  assert.deepEqual(await marksOf(user), [{ first_day: "2031-01-01", last_day: "2031-01-05" }]);
  assert.deepEqual(await marksOf(late), [{ first_day: "2031-02-01", last_day: "2031-02-01" }]);
  await sql`delete from private.traffic_aggregate_dirty where user_id in (${user}, ${late})`;
});

test("while an aggregation run holds its lock, the compaction leaves the marks alone", async () => {
  const user = crypto.randomUUID();
  await sql`insert into private.traffic_aggregate_dirty (user_id, first_day, last_day)
            values (${user}, '2031-03-01', '2031-03-01'), (${user}, '2031-03-02', '2031-03-02')`;
  const answer = await whileHolding(
    sql,
    (tx) => tx`select pg_advisory_xact_lock(hashtext('public.traffic_aggregate_metrics'))`,
    () => runCompactJob(),
  );
  assert.deepEqual(answer, { skipped: "an aggregation run holds the lock" });
  assert.equal((await marksOf(user)).length, 2);
  await runCompactJob();
  assert.deepEqual(await marksOf(user), [{ first_day: "2031-03-01", last_day: "2031-03-02" }]);
  await sql`delete from private.traffic_aggregate_dirty where user_id = ${user}`;
});

test("cleanup", async () => {
  await sql.end();
});
