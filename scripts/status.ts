/**
 * `npm run status`: the monitoring summary — the seed's troubleshooting section as one command.
 * Last runs per sync type, the cron jobs' last results (pg_cron and pg_net), Facebook tokens that
 * are invalid or expire within 7 days, webhook events that failed processing or stayed pending
 * longer than a processor takes (5 minutes), the AmoCRM reconciliation (disabled webhooks, token
 * expiry, deliveries the webhooks missed), the age of the freshest data per targetologist, and the
 * open alerts (issue 15) with their delivery state.
 * Reads Postgres directly (SUPABASE_DB_URL).
 *
 * Exits 0; with `--strict` it exits 1 when a problem is listed.
 */
import { connectionHint, fail, helpIfAsked } from "./lib/cli.ts";
import { postgres } from "./lib/deps.ts";
import { loadStackEnv } from "./lib/stack-env.ts";
import { formatTable } from "./lib/table.ts";

helpIfAsked(`usage: npm run status [-- --strict]
Prints the monitoring summary: last runs per sync type, the cron jobs' last results, pg_net
failures, Facebook tokens that are invalid or expiring, failed webhook events, data freshness.
Reads Postgres at SUPABASE_DB_URL (the local stack's .stack/env by default).
  --strict   exit 1 when a problem is listed (for CI or a health check)`);
const strict = Deno.args.includes("--strict");
let SUPABASE_DB_URL: string;
try {
  ({ SUPABASE_DB_URL } = loadStackEnv(["SUPABASE_DB_URL"]));
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
const sql = postgres(SUPABASE_DB_URL, { max: 1, onnotice: () => {}, connect_timeout: 5 });
try {
  await sql`select 1`;
} catch (err) {
  await sql.end({ timeout: 0 }).catch(() => {});
  fail(
    connectionHint(err, `Postgres at ${new URL(SUPABASE_DB_URL).host}`) ??
      `cannot query Postgres: ${err instanceof Error ? err.message : err}`,
  );
}
const problems: string[] = [];

function section(title: string, rows: Record<string, unknown>[], columns?: string[]) {
  console.log(`\n${title}`);
  console.log(formatTable(rows, columns));
}

try {
  // Through traffic_latest_sync_runs(): a run that died open (its process killed before it
  // recorded the outcome) reads as failed there, not as running forever.
  const runs = await sql`
    select sync_type, started_at, finished_at,
           case when success then 'ok' when not success then 'failed' else 'running' end
             as state,
           details ->> 'outcome' as outcome, users_processed, records_synced, duration_ms,
           left(error_message, 120) as error_message
    from public.traffic_latest_sync_runs()
    order by sync_type`;
  section("Last run per sync type", runs);
  for (const r of runs) {
    if (r.state === "failed") problems.push(`last ${r.sync_type} run failed: ${r.error_message}`);
  }

  const cron = await sql`
    select j.jobname, j.schedule, j.active, d.status as last_status, d.start_time as last_start,
           left(d.return_message, 60) as message
    from cron.job j
    left join lateral (
      select status, start_time, return_message from cron.job_run_details
      where jobid = j.jobid order by start_time desc limit 1
    ) d on true
    order by j.jobname`;
  section("pg_cron jobs (last execution)", cron);
  for (const j of cron) {
    if (j.last_status === "failed") problems.push(`cron job ${j.jobname} failed: ${j.message}`);
  }

  const http = await sql`
    select count(*)::int as requests,
           count(*) filter (where status_code between 200 and 299)::int as ok,
           count(*) filter (where status_code >= 300 or error_msg is not null or timed_out)::int
             as failed,
           max(created) as last_response
    from net._http_response where created > now() - interval '1 day'`;
  const httpFailures = await sql`
    select id, created, status_code, timed_out, left(coalesce(error_msg, content), 60) as detail
    from net._http_response
    where created > now() - interval '1 day'
      and (status_code >= 300 or error_msg is not null or timed_out)
    order by created desc limit 5`;
  section("pg_net responses, last 24 h", http);
  if (httpFailures.length > 0) {
    section("  latest failed deliveries", httpFailures);
    problems.push(`${http[0].failed} pg_net deliveries failed in the last 24 h`);
  }

  // The same SQL as the fb_token alert rule (private.traffic_fb_token_problems).
  const tokens = await sql`
    select team_name, has_facebook_token, facebook_token_status, facebook_token_expires_at
    from private.traffic_fb_token_problems(interval '7 days')`;
  section("Facebook tokens that are missing, invalid or expire within 7 days", tokens);
  for (const t of tokens) problems.push(`token of ${t.team_name} needs attention`);

  // Failed, and pending for longer than a live processor takes (private.amocrm_stale_pending_age,
  // the same age the amocrm-replay job and npm run amocrm:replay use): both wait for a replay.
  const events = await sql`
    select id, status, received_at, attempts, left(error, 70) as error
    from public.traffic_amocrm_events
    where status = 'failed'
       or (status = 'pending' and received_at < now() - private.amocrm_stale_pending_age())
    order by received_at desc limit 10`;
  const [{ failed_events, rejected_events, stale_pending, stale_age }] = await sql`
    select count(*) filter (where status = 'failed')::int as failed_events,
           count(*) filter (where status = 'rejected' and received_at > now() - interval '1 day')::int
             as rejected_events,
           count(*) filter (where status = 'pending'
             and received_at < now() - private.amocrm_stale_pending_age())::int as stale_pending,
           (select extract(epoch from private.amocrm_stale_pending_age()) / 60)::int as stale_age
    from public.traffic_amocrm_events where status in ('failed', 'rejected', 'pending')`;
  section(
    `AmoCRM webhook events that failed processing (${failed_events}) or are pending for more ` +
      `than ${stale_age} minutes (${stale_pending})`,
    events,
  );
  if (rejected_events > 0) {
    problems.push(`${rejected_events} webhook bodies rejected as invalid in the last 24 h`);
  }
  if (failed_events > 0) {
    problems.push(`${failed_events} webhook events failed (replay: npm run amocrm:replay)`);
  }
  if (stale_pending > 0) {
    problems.push(
      `${stale_pending} webhook events pending for more than ${stale_age} minutes (the ` +
        "amocrm-replay job takes them each minute; npm run amocrm:replay does it now)",
    );
  }

  // amocrm-sync: the reconciliation with the CRM and what it says about the webhooks.
  const amo = await sql`
    select account, last_run_at, last_success_at, webhooks_total, webhooks_disabled,
           array_to_string(disabled_destinations, ', ') as disabled_destinations,
           token_expires_at, token_days_left, missed_last_run, missed_24h, missed_total,
           left(last_error, 70) as last_error
    from public.amocrm_sync_health()`;
  section("AmoCRM reconciliation (amocrm-sync)", amo);
  for (const a of amo) {
    if (a.webhooks_disabled > 0) {
      problems.push(
        `AmoCRM ${a.account}: ${a.webhooks_disabled} of ${a.webhooks_total} webhook(s) disabled ` +
          `(${a.disabled_destinations}); re-enable them in AmoCRM`,
      );
    }
    if (a.token_days_left !== null && a.token_days_left < 30) {
      problems.push(
        a.token_days_left < 0
          ? `AmoCRM ${a.account}: the access token has expired`
          : `AmoCRM ${a.account}: the access token expires in ${a.token_days_left} day(s)`,
      );
    }
    if (Number(a.missed_24h) > 0) {
      problems.push(
        `AmoCRM ${a.account}: the reconciliation restored ${a.missed_24h} lead(s) in the last ` +
          `24 h that the webhooks missed (${a.missed_last_run} in the last run, ` +
          `${a.missed_total} in total)`,
      );
    }
    if (a.last_error) problems.push(`AmoCRM ${a.account}: last sync failed: ${a.last_error}`);
  }

  // One definition with the data_stale alert rule (private.traffic_fb_freshness): a user counts as
  // synced only where a finished run says the user's outcome was ok or deferred.
  const fresh = await sql`
    select team_name, last_ok_sync, last_fb_outcome, latest_stat_date, metrics_updated_at,
           sync_age_min, metrics_age_min
    from private.traffic_fb_freshness()`;
  section("Freshest data per targetologist", fresh);
  for (const f of fresh) {
    if (f.sync_age_min === null || f.sync_age_min > 120) {
      problems.push(
        `${f.team_name}: Facebook data stale: no successful sync in the last 2 hours` +
          (f.last_fb_outcome ? ` (last run: ${f.last_fb_outcome})` : ""),
      );
    }
    if (f.metrics_age_min === null || f.metrics_age_min > 30) {
      problems.push(`${f.team_name}: metrics older than 30 minutes`);
    }
  }

  // Issue 15: the alerts the evaluator (pg_cron job traffic-alerts) holds open, and how their
  // delivery goes. The rules are the SQL above; the records say since when and who was told.
  const openAlerts = await sql`
    select a.rule_key as rule, coalesce(a.team_name, 'all teams') as team, a.figure,
           a.opened_at, a.last_notified_at, a.notify_count as notices, left(a.message, 90) as message
    from public.traffic_alerts a where a.resolved_at is null
    order by a.severity, a.opened_at desc limit 50`;
  const [evaluation] = await sql`
    select last_evaluated_at, last_evaluation -> 'errors' as errors,
           (select count(*)::int from public.traffic_alerts where resolved_at is null) as open,
           (select count(*)::int from public.traffic_alert_outbox
             where status in ('pending', 'sending')) as undelivered,
           (select count(*)::int from public.traffic_alert_outbox
             where status = 'failed' and created_at > now() - interval '1 day') as failed_24h
    from private.traffic_alert_settings`;
  section(
    `Open alerts (${evaluation?.open ?? 0}; last evaluated ${
      evaluation?.last_evaluated_at?.toISOString?.() ?? "never"
    }; messages waiting ${evaluation?.undelivered ?? 0}, failed in 24 h ${
      evaluation?.failed_24h ?? 0
    })`,
    openAlerts,
  );
  const ruleErrors = Object.entries(evaluation?.errors ?? {});
  for (const [rule, error] of ruleErrors) console.log(`  rule ${rule} could not run: ${error}`);
  if ((evaluation?.failed_24h ?? 0) > 0) {
    problems.push(
      `${evaluation.failed_24h} alert message(s) could not be delivered in the last 24 h ` +
        "(select last_error from traffic_alert_outbox where status = 'failed')",
    );
  }

  console.log(
    `\n${problems.length === 0 ? "No problems found." : `Problems (${problems.length}):`}`,
  );
  for (const p of problems) console.log(`  - ${p}`);
} finally {
  await sql.end();
}
if (strict && problems.length > 0) Deno.exit(1);
