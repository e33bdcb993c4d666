-- The pg_cron jobs exist with the seed's schedules, call the functions through
-- private.invoke_function() (which reads the URL and key from Vault when the job fires), and no
-- command holds a URL or a key.
begin;
select plan(10);

select is((select schedule from cron.job where jobname = 'fb-ads-sync'), '5 * * * *',
  'fb-ads-sync runs hourly at :05');
select is((select schedule from cron.job where jobname = 'aggregate-metrics'), '*/10 * * * *',
  'aggregate-metrics runs every 10 minutes');
select matches((select schedule from cron.job where jobname = 'traffic-housekeeping'),
  '^\d+ \d+ \* \* \*$', 'traffic-housekeeping runs daily');
select is((select command from cron.job where jobname = 'fb-ads-sync'),
  $$select private.invoke_function('fb-ads-sync', jsonb_build_object('triggered_by', 'cron'))$$,
  'fb-ads-sync calls its function through invoke_function');
select is((select command from cron.job where jobname = 'aggregate-metrics'),
  $$select private.invoke_function('aggregate-metrics', jsonb_build_object('triggered_by', 'cron'))$$,
  'aggregate-metrics calls its function through invoke_function');
select is(
  (select array_agg(jobname::text) from cron.job
    where command ~* '(bearer|eyJ|https?://|service_role_key)'
       or position((select decrypted_secret from vault.decrypted_secrets
         where name = 'service_role_key') in command) > 0),
  null, 'no job command contains a URL, a key or a secret name');
select matches(
  (select prosrc from pg_proc where oid = 'private.invoke_function(text, jsonb)'::regprocedure),
  'vault\.decrypted_secrets.*project_url.*vault\.decrypted_secrets.*service_role_key',
  'invoke_function reads project_url and service_role_key from Vault');
select is((select bool_and(active) from cron.job
  where jobname in ('fb-ads-sync', 'aggregate-metrics', 'traffic-housekeeping')), true,
  'the jobs are active');

-- The migration's cron.schedule() calls are idempotent: the same name replaces the job.
select cron.schedule('fb-ads-sync', '5 * * * *',
  $$select private.invoke_function('fb-ads-sync', jsonb_build_object('triggered_by', 'cron'))$$);
select cron.schedule('aggregate-metrics', '*/10 * * * *',
  $$select private.invoke_function('aggregate-metrics', jsonb_build_object('triggered_by', 'cron'))$$);
select is((select count(*)::int from cron.job where jobname = 'fb-ads-sync'), 1,
  're-scheduling fb-ads-sync does not duplicate it');
select is((select count(*)::int from cron.job where jobname = 'aggregate-metrics'), 1,
  're-scheduling aggregate-metrics does not duplicate it');

select * from finish();
rollback;
