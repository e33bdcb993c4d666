-- traffic_latest_sync_runs() as before (latest row per sync_type the caller may read), but a row
-- whose run died open (past private.traffic_run_expires_at, not yet closed by
-- traffic_close_stale_runs) reads as what it is: failed, outcome abandoned, never "running".
-- jsonb_populate_record keeps every other column as stored, whatever columns the table gains.
create or replace function public.traffic_latest_sync_runs(p_user_id uuid default null)
returns setof public.traffic_sync_history
language sql
stable
security invoker
set search_path = ''
as $$
  select case
    when (x.l).finished_at is null and (x.l).success is null
      and private.traffic_run_expires_at((x.l).details, (x.l).started_at) < now()
    then jsonb_populate_record(x.l, jsonb_build_object(
      'success', false,
      'error_message', 'The run did not finish: its process stopped before recording the outcome. '
        || 'Data it was writing may be incomplete until the next successful run.',
      'details', (x.l).details || '{"outcome": "abandoned"}'))
    else x.l
  end
  from (
    select distinct on (h.sync_type) h
    from public.traffic_sync_history h
    where p_user_id is null or h.user_id = p_user_id
    order by h.sync_type, h.started_at desc, h.id desc
  ) x (l)
$$;

comment on function public.traffic_latest_sync_runs(uuid) is
  'Latest traffic_sync_history row per sync_type visible to the caller (RLS); a run that died '
  'open reads as failed (outcome abandoned). traffic-api GET /sync-status.';
