-- A run whose process died before it closed its history row (Postgres or the function killed
-- mid-run, the hosted runtime's wall clock) leaves `success = null, finished_at = null` forever,
-- which reads as "still running". A writer may record when its run is over at the latest as
-- `details.expires_at` (fb-ads-sync: start + budget + 60 s, the same bound as its leases); a row
-- without it is given `p_default_max_age` from its start. private.traffic_run_expires_at() is the
-- one definition of that deadline: traffic_close_stale_runs() closes what passed it as failed,
-- traffic_latest_sync_runs() shows such a row as failed before anyone closed it.
create or replace function private.traffic_run_expires_at(
  p_details jsonb,
  p_started_at timestamptz,
  p_default_max_age interval default interval '30 minutes'
)
returns timestamptz
language plpgsql
stable
set search_path = ''
as $$
begin
  if jsonb_typeof(p_details -> 'expires_at') = 'string' then
    begin
      return (p_details ->> 'expires_at')::timestamptz;
    exception when others then
      null; -- an unreadable value falls back to the default age
    end;
  end if;
  return p_started_at + p_default_max_age;
end
$$;
comment on function private.traffic_run_expires_at(jsonb, timestamptz, interval) is
  'When an open traffic_sync_history row counts as dead: details.expires_at when the writer set '
  'it, else started_at + p_default_max_age (30 minutes).';
revoke all on function private.traffic_run_expires_at(jsonb, timestamptz, interval) from public;
grant execute on function private.traffic_run_expires_at(jsonb, timestamptz, interval)
  to authenticated, service_role;

create or replace function public.traffic_close_stale_runs(
  p_sync_type text default null,
  p_closed_by text default 'traffic_close_stale_runs'
)
returns int
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_closed int;
begin
  update public.traffic_sync_history h
  set success = false,
      finished_at = clock_timestamp(),
      duration_ms = least(extract(epoch from clock_timestamp() - h.started_at) * 1000,
        2147483647)::int,
      error_message = concat_ws(' ',
        'The run did not finish: its process stopped before recording the outcome '
        || '(closed as failed by ' || coalesce(p_closed_by, 'traffic_close_stale_runs') || ').',
        'Data it was writing may be incomplete until the next successful run.',
        nullif(h.error_message, '')),
      details = h.details || jsonb_build_object('outcome', 'abandoned',
        'closed_stale_at', clock_timestamp(), 'closed_by', p_closed_by)
  where h.finished_at is null
    and h.success is null
    and (p_sync_type is null or h.sync_type = p_sync_type)
    and private.traffic_run_expires_at(h.details, h.started_at) < clock_timestamp();
  get diagnostics v_closed = row_count;
  return v_closed;
end
$$;
comment on function public.traffic_close_stale_runs(text, text) is
  'Closes open traffic_sync_history rows (success and finished_at null) whose deadline '
  '(private.traffic_run_expires_at) has passed as failed, outcome abandoned; p_sync_type narrows '
  'it. Returns how many. Called at the start of every fb-ads-sync run and by pg_cron every 5 min.';
revoke all on function public.traffic_close_stale_runs(text, text) from public, anon, authenticated;
grant execute on function public.traffic_close_stale_runs(text, text) to service_role;
