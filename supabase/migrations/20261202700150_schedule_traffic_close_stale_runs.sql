-- Every 5 minutes: a crashed run reads as failed within minutes even when no run follows it.
-- Its own job (housekeeping is daily and owned elsewhere); no URL, no key: plain SQL.
select cron.schedule('traffic-close-stale-runs', '*/5 * * * *',
  $cron$select public.traffic_close_stale_runs(null, 'cron')$cron$);
