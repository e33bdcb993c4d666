-- The backstop of the background drain (20261207025901): every minute pg_cron drains whatever
-- webhook bodies are still 'pending' (answered while another request was processing, and not
-- reached by the function's own background drain - its instance stopped, say). It queues behind
-- a drainer already running; with nothing pending it is one index probe. Pure SQL, no URL or
-- key. cron.schedule() with an existing name replaces the job; pg_cron runs one instance at a time.
select cron.schedule('amocrm-drain', '* * * * *',
  $cron$select public.amocrm_drain_events(true)$cron$);
