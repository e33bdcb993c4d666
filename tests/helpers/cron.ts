/**
 * Pausing the stack's own pg_cron jobs while a test runs: one rule, one place. A test whose
 * figures a scheduled run would disturb (request counts, who drains, which alert is sent) pauses
 * the jobs it names and puts each back as it was, whatever happens.
 *
 * @module
 */
import type { db } from "./stack.ts";

type Sql = ReturnType<typeof db>;

/**
 * Makes the named pg_cron jobs inactive (`cron.alter_job`, as pg_cron documents) and returns the
 * function that gives each its former `active` back (through `conn` when the test opened a new
 * connection meanwhile, e.g. after restarting Postgres). A name with no job is skipped. A run
 * the job started before the pause is not waited for here (pauseScheduledSync adds that wait
 * for `amocrm-sync`, whose runs go on in the function after the job's command returned).
 */
export async function pauseCronJobs(
  sql: Sql,
  names: readonly string[],
): Promise<(conn?: Sql) => Promise<void>> {
  const jobs = await sql`select jobid::bigint as jobid, active from cron.job
    where jobname in ${sql(names as string[])}`;
  for (const j of jobs) await sql`select cron.alter_job(${j.jobid}::bigint, active => false)`;
  return async (conn: Sql = sql) => {
    for (const j of jobs) {
      await conn`select cron.alter_job(${j.jobid}::bigint, active => ${j.active})`;
    }
  };
}
