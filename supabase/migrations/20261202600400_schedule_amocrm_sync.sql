-- amocrm-sync every 10 minutes, like the other jobs through private.invoke_function() (URL and
-- key from Vault when the job fires; the command holds neither). At :03, :13, ... so the
-- aggregation at :x0 counts what the reconciliation restored. Re-running replaces the job.
select cron.schedule('amocrm-sync', '3-59/10 * * * *',
  $cron$select private.invoke_function('amocrm-sync', jsonb_build_object('triggered_by', 'cron'))$cron$);
