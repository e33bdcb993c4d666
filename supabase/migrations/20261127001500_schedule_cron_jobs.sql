-- The schedules of the original system, in pg_cron. pg_cron runs in UTC; the seed's schedules
-- are in Asia/Almaty (UTC+5, no DST), a whole-hour offset, so ':05 every hour' and 'every 10
-- minutes' fire at the same instants in both zones (docs/data-model.md).
--
-- cron.schedule() with an existing job name replaces that job, so re-running this migration
-- never duplicates a job. The commands carry no URL and no key: private.invoke_function() reads
-- both from Vault when the job fires.
create extension if not exists pg_cron;

-- Keeps pg_cron's and pg_net's logs from growing forever (neither prunes itself here).
create or replace function private.traffic_housekeeping()
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from cron.job_run_details where end_time < now() - interval '7 days';
  -- pg_net's response table may not be ours to prune on every platform version: skip quietly.
  if to_regclass('net._http_response') is not null
     and has_table_privilege('net._http_response', 'delete') then
    delete from net._http_response where created < now() - interval '1 day';
  end if;
end
$$;
comment on function private.traffic_housekeeping() is
  'Deletes cron.job_run_details older than 7 days and net._http_response older than 1 day.';
revoke all on function private.traffic_housekeeping() from public, anon, authenticated;

select cron.schedule('fb-ads-sync', '5 * * * *',
  $cron$select private.invoke_function('fb-ads-sync', jsonb_build_object('triggered_by', 'cron'))$cron$);

select cron.schedule('aggregate-metrics', '*/10 * * * *',
  $cron$select private.invoke_function('aggregate-metrics', jsonb_build_object('triggered_by', 'cron'))$cron$);

-- 03:17 UTC = 08:17 Almaty, away from the :05 and :x0 runs.
select cron.schedule('traffic-housekeeping', '17 3 * * *',
  $cron$select private.traffic_housekeeping()$cron$);
