-- traffic-api's GET /sync-status for admins: each pg_cron job with its schedule and its last
-- run. The cron schema is not readable by `authenticated`, so this reads it as its owner
-- (security definer) and returns rows only when the caller is an admin. A run that `succeeded`
-- only queued the HTTP call; the function's own outcome is in traffic_sync_history.
create or replace function public.traffic_cron_status()
returns table (
  jobname text,
  schedule text,
  active boolean,
  last_run_status text,
  last_run_started_at timestamptz,
  last_run_finished_at timestamptz,
  last_run_message text
)
language sql
stable
security definer
set search_path = ''
as $$
  select j.jobname::text, j.schedule::text, j.active,
    d.status::text, d.start_time, d.end_time, d.return_message::text
  from cron.job j
  left join lateral (
    select r.status, r.start_time, r.end_time, r.return_message
    from cron.job_run_details r
    where r.jobid = j.jobid
    order by r.start_time desc nulls last, r.runid desc
    limit 1
  ) d on true
  where (select private.is_admin())
  order by j.jobname
$$;

comment on function public.traffic_cron_status() is
  'pg_cron jobs (name, schedule, active) with their last run; rows only for admins '
  '(private.is_admin()), nothing for anyone else. traffic-api GET /sync-status.';

revoke all on function public.traffic_cron_status() from public, anon;
grant execute on function public.traffic_cron_status() to authenticated, service_role;
