-- A manual full sync recomputes every targetologist (the incremental aggregation, 20261207030030,
-- made a run full only on a new local day, a rate change, a truncate or a foreign write of the
-- stored rows: `sync_type: "full"` was only the history's label). aggregate-metrics calls this
-- before traffic_aggregate_metrics() when asked for a full run: one full_run mark, consumed by
-- that run (or, should it fail, by the next one, which is then full: harmless).
create or replace function public.traffic_aggregate_request_full()
returns void
language sql
security definer
set search_path = ''
as $$
  insert into private.traffic_aggregate_dirty (full_run) values (true);
$$;
comment on function public.traffic_aggregate_request_full() is
  'Makes the next traffic_aggregate_metrics() run full (every active targetologist recomputed): '
  'appends a full_run mark to private.traffic_aggregate_dirty. Called by aggregate-metrics for '
  'sync_type "full". Service role only.';
revoke all on function public.traffic_aggregate_request_full() from public, anon, authenticated;
grant execute on function public.traffic_aggregate_request_full() to service_role;
