-- The scheduled replay: the pg_cron job amocrm-replay runs private.amocrm_replay_due() every
-- minute (pure SQL, no URL or key); it takes stale pending events and failed ones past their
-- back-off, fewest attempts first, bounded by its limit, leaves fresh pending and rejected events
-- alone, and records the run with triggered_by 'cron'. No API role may run it.
begin;
select plan(11);

select is((select schedule from cron.job where jobname = 'amocrm-replay'), '* * * * *',
  'amocrm-replay runs every minute');
select is((select command from cron.job where jobname = 'amocrm-replay'),
  'select private.amocrm_replay_due(200)', 'it calls the replay SQL directly, bounded to 200');
select is((select active from cron.job where jobname = 'amocrm-replay'), true, 'it is active');
select is(private.amocrm_stale_pending_age(), interval '5 minutes',
  'pending counts as abandoned after five minutes');

insert into public.traffic_amocrm_events
  (raw_body, body_sha256, payload, status, attempts, received_at, processed_at)
values
  ('pgtap-260 stale', 'pgtap-260-stale', '{"events": []}', 'pending', 0,
    now() - interval '6 minutes', null),
  ('pgtap-260 fresh', 'pgtap-260-fresh', '{"events": []}', 'pending', 0, now(), null),
  ('pgtap-260 due', 'pgtap-260-due', '{"events": []}', 'failed', 2,
    now() - interval '1 hour', now() - interval '3 minutes'),
  ('pgtap-260 backoff', 'pgtap-260-backoff', '{"events": []}', 'failed', 3,
    now() - interval '1 hour', now() - interval '3 minutes'),
  ('pgtap-260 rejected', 'pgtap-260-rejected', null, 'rejected', 0,
    now() - interval '1 hour', now() - interval '1 hour');

select set_config('pgtap.r', private.amocrm_replay_due(10000)::text, true);
select is(
  (select array_agg(raw_body order by raw_body) from public.traffic_amocrm_events
    where id in (select jsonb_array_elements_text(current_setting('pgtap.r')::jsonb
      -> 'event_ids')::bigint) and raw_body like 'pgtap-260%'),
  array['pgtap-260 due', 'pgtap-260 stale'],
  'it takes the stale pending and the failed one past its back-off (2 attempts: 2 min)');
select is(
  (select array_agg(status order by raw_body) from public.traffic_amocrm_events
    where raw_body like 'pgtap-260%'),
  array['failed', 'ignored', 'pending', 'rejected', 'ignored'],
  'backoff (3 attempts: 4 min) waits, fresh pending and rejected are left alone');
select is(
  (select row(triggered_by, success)::text from public.traffic_sync_history
    where sync_type = 'amocrm_replay' order by id desc limit 1),
  '(cron,t)', 'the run is recorded as the cron''s');
select is((private.amocrm_replay_due(10000) -> 'event_ids') @>
    (select to_jsonb(array_agg(id)) from public.traffic_amocrm_events
      where raw_body in ('pgtap-260 due', 'pgtap-260 stale')),
  false, 'a second run does not take them again (idempotent)');

update public.traffic_amocrm_events set received_at = now() - interval '10 minutes'
where raw_body = 'pgtap-260 fresh';
select is((private.amocrm_replay_due(1) ->> 'selected')::int, 1, 'bounded by its limit');

select tests.authenticate_as(tests.create_user('amo-260'));
select throws_ok($$select private.amocrm_replay_due(1)$$, '42501', null,
  'a signed-in user cannot run it');
reset role;
select throws_ok($$select private.amocrm_replay_due(0)$$, '22023', null,
  'a limit outside 1..10000 is refused');

select * from finish();
rollback;
