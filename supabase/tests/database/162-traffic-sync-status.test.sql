-- traffic_latest_sync_runs() (invoker: RLS decides) and traffic_cron_status() (definer: rows
-- for admins only).
begin;
select plan(8);
select tests.create_fixture();

insert into public.traffic_sync_history (sync_type, user_id, started_at, success, error_message,
  triggered_by)
values ('facebook_ads', tests.uid('a'), now() - interval '1 hour', true, null, 'pgtap'),
       ('facebook_ads', tests.uid('a'), now() + interval '1 hour', false, 'token expired', 'pgtap');

select tests.authenticate_as(tests.uid('a'));
select results_eq(
  $$select sync_type, success, error_message from public.traffic_latest_sync_runs()$$,
  $$values ('facebook_ads'::text, false, 'token expired'::text)$$,
  'A: their own latest run per type (the team-wide run is not theirs)');
select is(
  (select count(*)::int from public.traffic_latest_sync_runs(tests.uid('b'))),
  0,
  'A asking for B''s runs gets none');
select is((select count(*)::int from public.traffic_cron_status()), 0,
  'A: no cron jobs');

select tests.authenticate_as(tests.uid('admin'), true);
select results_eq(
  $$select sync_type, error_message from public.traffic_latest_sync_runs(tests.uid('a'))$$,
  $$values ('facebook_ads'::text, 'token expired'::text)$$,
  'admin: one user''s latest runs');
select ok(
  (select count(*) from public.traffic_latest_sync_runs() where sync_type = 'full') = 1,
  'admin: the team-wide runs too');
select results_eq(
  $$select jobname, schedule, active from public.traffic_cron_status()
    where jobname in ('aggregate-metrics', 'fb-ads-sync')$$,
  $$values ('aggregate-metrics'::text, '*/10 * * * *'::text, true),
    ('fb-ads-sync', '5 * * * *', true)$$,
  'admin: the cron jobs with their schedules');

reset role;
select ok(
  (select prosecdef and proconfig @> array['search_path=""']
    from pg_proc where oid = 'public.traffic_cron_status()'::regprocedure),
  'traffic_cron_status is security definer with an empty search_path');
select ok(
  not has_function_privilege('anon', 'public.traffic_cron_status()', 'execute'),
  'anon cannot call traffic_cron_status');

select * from finish();
rollback;
