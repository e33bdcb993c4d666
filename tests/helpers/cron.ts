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
 * (pauseScheduledRuns adds that wait for a sync's job).
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

/**
 * Pauses a scheduled sync's pg_cron job (`job`) and waits until no run it started is still going
 * (a `traffic_sync_history` row of `syncType`, triggered by cron, success null), so a test that
 * counts a fake's requests, or reads the latest runs it seeded, sees only its own (a scheduled
 * `amocrm-sync` doubled a count once: review R7 L9; the hourly `fb-ads-sync` at :05 replaced the
 * dashboard test's seeded failed run with its own). Returns the function that puts the job back.
 */
export async function pauseScheduledRuns(
  sql: Sql,
  job: string,
  syncType: string,
): Promise<() => Promise<void>> {
  const resume = await pauseCronJobs(sql, [job]);
  const [row] = await sql`select jobid from cron.job where jobname = ${job}`;
  if (!row) return resume;
  // A run pg_cron started moments ago reaches the function through pg_net within a second or so,
  // then writes its history row (success null while it runs).
  const [recent] = await sql`select count(*)::int as n from cron.job_run_details
    where jobid = ${row.jobid} and start_time > now() - interval '5 seconds'`;
  if (recent.n > 0) await new Promise((ok) => setTimeout(ok, 2_000));
  for (let i = 0; i < 240; i++) {
    const [running] = await sql`select count(*)::int as n from public.traffic_sync_history
      where sync_type = ${syncType} and success is null and triggered_by = 'cron'
        and started_at > now() - interval '10 minutes'`;
    if (running.n === 0) break;
    await new Promise((ok) => setTimeout(ok, 250));
  }
  return resume;
}
