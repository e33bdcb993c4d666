-- traffic-api's GET /sync-status: the latest run of each sync type among the history rows the
-- caller may read (security invoker: a targetologist gets their own per-user runs, e.g. the
-- Facebook sync that found their token expired; an admin every run). p_user_id narrows it to
-- one targetologist's runs.
create or replace function public.traffic_latest_sync_runs(p_user_id uuid default null)
returns setof public.traffic_sync_history
language sql
stable
security invoker
set search_path = ''
as $$
  select distinct on (h.sync_type) h.*
  from public.traffic_sync_history h
  where p_user_id is null or h.user_id = p_user_id
  order by h.sync_type, h.started_at desc, h.id desc
$$;

comment on function public.traffic_latest_sync_runs(uuid) is
  'Latest traffic_sync_history row per sync_type visible to the caller (RLS); traffic-api '
  'GET /sync-status.';

revoke all on function public.traffic_latest_sync_runs(uuid) from public, anon;
grant execute on function public.traffic_latest_sync_runs(uuid) to authenticated, service_role;
