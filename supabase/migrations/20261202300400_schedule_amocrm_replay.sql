-- Stored webhooks never stay pending or failed unnoticed: every minute pg_cron replays up to 200
-- of them (private.amocrm_replay_due: stale pending ones and failed ones past their back-off).
-- Processing is SQL, so the job calls it directly: no HTTP, no URL, no key. cron.schedule() with
-- an existing name replaces the job, so re-running this never duplicates it; pg_cron runs at
-- most one instance of a job at a time.
select cron.schedule('amocrm-replay', '* * * * *',
  $cron$select private.amocrm_replay_due(200)$cron$);
