-- A run whose process died leaves its history row open; the bookkeeping must not say "running"
-- forever: private.traffic_run_expires_at() is its deadline, traffic_close_stale_runs() closes
-- what passed it as failed (outcome abandoned), fb_start_run() does that first and then opens
-- the new run (an unknown user_id kept in details, not the foreign key), and
-- traffic_latest_sync_runs() shows a dead open run as failed before anyone closed it.
begin;
select plan(17);
select tests.create_user('stale-a');
-- Alone with these rows (the suite's other runs are history too; all rolled back at the end).
delete from public.traffic_sync_history;

insert into public.traffic_sync_history (sync_type, started_at, user_id, details) values
  ('facebook_ads', now() - interval '10 minutes', tests.uid('stale-a'),
    jsonb_build_object('tag', 'dead', 'expires_at', now() - interval '1 minute')),
  ('facebook_ads', now() - interval '1 minute', null,
    jsonb_build_object('tag', 'alive', 'expires_at', now() + interval '2 minutes')),
  ('aggregation', now() - interval '2 hours', null, '{"tag": "old-no-deadline"}'),
  ('aggregation', now() - interval '1 minute', null, '{"tag": "young-no-deadline"}'),
  ('full', now() - interval '2 hours', null, '{"tag": "bad-deadline", "expires_at": "soon"}'),
  ('facebook_ads', now() - interval '3 hours', null,
    jsonb_build_object('tag', 'finished', 'expires_at', now() - interval '2 hours'));
update public.traffic_sync_history set success = true, finished_at = started_at
  where details ->> 'tag' = 'finished';

select is(private.traffic_run_expires_at('{"expires_at": "2026-01-01T00:00:00Z"}',
    '2025-01-01T00:00:00Z'), '2026-01-01T00:00:00Z'::timestamptz,
  'the deadline is details.expires_at when the writer set it');
select is(private.traffic_run_expires_at('{"expires_at": "soon"}', '2025-01-01T00:00:00Z'),
  '2025-01-01T00:30:00Z'::timestamptz, 'an unreadable expires_at falls back to 30 minutes');

-- traffic_latest_sync_runs: the user's latest run died open; it reads failed, stored untouched.
select tests.authenticate_as(tests.uid('stale-a'));
select is((select success from public.traffic_latest_sync_runs(tests.uid('stale-a'))), false,
  'a dead open run reads failed to its user');
select is((select details ->> 'outcome' from public.traffic_latest_sync_runs(tests.uid('stale-a'))),
  'abandoned', 'with outcome abandoned');
select matches((select error_message from public.traffic_latest_sync_runs(tests.uid('stale-a'))),
  'did not finish', 'and says so');
reset role;
select is((select success from public.traffic_sync_history where details ->> 'tag' = 'dead'), null,
  'reading it changed nothing');

select tests.authenticate_as_service_role();
select is(public.traffic_close_stale_runs('facebook_ads'), 1,
  'closing facebook_ads runs closes only the dead one');
select is((select array_agg(details ->> 'tag' order by details ->> 'tag')
    from public.traffic_sync_history where success = false),
  array['dead'], 'the live run, the finished run and other sync types are untouched');
select is(public.traffic_close_stale_runs(), 2,
  'all types: the aggregation run past 30 minutes and the one with an unreadable deadline');
select is((select array_agg(details ->> 'tag' order by details ->> 'tag')
    from public.traffic_sync_history where success is null),
  array['alive', 'young-no-deadline'], 'runs still within their deadline stay open');
select ok((select bool_and(finished_at is not null and duration_ms > 0
      and details ->> 'outcome' = 'abandoned')
    from public.traffic_sync_history where success = false),
  'closed runs have finished_at, duration and outcome abandoned');
select is(public.traffic_close_stale_runs(), 0, 'closing again changes nothing');

-- fb_start_run: closes facebook_ads runs that died, opens the new one with its deadline.
update public.traffic_sync_history set details = details || jsonb_build_object('expires_at',
  now() - interval '1 second') where details ->> 'tag' = 'alive';
select set_config('pgtap.run', public.fb_start_run(tests.uid('stale-a'), 'pgtap',
  '{"mode": "sync"}', 120000)::text, true);
select is((select success from public.traffic_sync_history where details ->> 'tag' = 'alive'),
  false, 'fb_start_run closed the run that died first');
select ok((select user_id = tests.uid('stale-a') and success is null and triggered_by = 'pgtap'
      and (details ->> 'expires_at')::timestamptz
        between clock_timestamp() + interval '179 seconds' and clock_timestamp() + interval '181 seconds'
    from public.traffic_sync_history where id = current_setting('pgtap.run')::bigint),
  'the new run is open, for its user, expiring at start + budget + 60 s');
select lives_ok($$select public.fb_start_run('00000000-0000-4000-8000-00000000dead', 'pgtap',
  '{}', 120000)$$, 'a user_id not in auth.users does not violate the foreign key');
select is((select user_id from public.traffic_sync_history
    where details ->> 'requested_user_id' = '00000000-0000-4000-8000-00000000dead'), null,
  'it is kept in details.requested_user_id');

-- Only the service role may close runs or open them.
select tests.authenticate_as(tests.uid('stale-a'));
select throws_ok($$select public.traffic_close_stale_runs()$$, '42501',
  null, 'a signed-in user cannot close runs');
select * from finish();
rollback;
