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
 * connection meanwhile, e.g. after restarting Postgres). A name with no job is skipped. A command
 * of theirs that pg_cron is still running is waited for (up to 10 s), so nothing of theirs runs
 * once this returns; work a command only queued (a function called through pg_net) is not
 * (pauseScheduledSync adds that wait for `amocrm-sync`).
 */
export async function pauseCronJobs(
  sql: Sql,
  names: readonly string[],
): Promise<(conn?: Sql) => Promise<void>> {
  const jobs = await sql`select jobid::bigint as jobid, active, command from cron.job
    where jobname in ${sql(names as string[])}`;
  for (const j of jobs) await sql`select cron.alter_job(${j.jobid}::bigint, active => false)`;
  const commands = jobs.map((j) => j.command as string);
  for (let i = 0; i < 100 && commands.length > 0; i++) {
    const [{ n }] = await sql`select count(*)::int as n from pg_stat_activity
      where application_name = 'pg_cron' and state <> 'idle' and query = any(${commands})`;
    if (n === 0) break;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  return async (conn: Sql = sql) => {
    for (const j of jobs) {
      await conn`select cron.alter_job(${j.jobid}::bigint, active => ${j.active})`;
    }
  };
}
