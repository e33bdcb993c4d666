-- The AmoCRM processing functions: the three public ones are executable by service_role only,
-- the private helpers and the lead-event log by no API role at all.
begin;
select plan(5);

select is(
  (select array_agg(r.rolname::text || ':' || p.proname order by r.rolname, p.proname)
    from pg_proc p cross join pg_roles r
    where p.pronamespace = 'public'::regnamespace
      and p.proname in ('amocrm_ingest_event', 'amocrm_process_event', 'amocrm_replay_failed')
      and r.rolname in ('anon', 'authenticated', 'service_role')
      and has_function_privilege(r.oid, p.oid, 'execute')),
  array['service_role:amocrm_ingest_event', 'service_role:amocrm_process_event',
    'service_role:amocrm_replay_failed'],
  'only service_role executes amocrm_ingest_event / _process_event / _replay_failed');

select is(
  (select array_agg(p.proname::text order by p.proname) from pg_proc p
    where p.pronamespace = 'public'::regnamespace and p.proname like 'amocrm\_%'
      and not (p.prosecdef and 'search_path=""' = any (p.proconfig))),
  null,
  'each is security definer with an empty search_path');

select is(
  (select array_agg(r.rolname::text || ':' || p.proname order by r.rolname, p.proname)
    from pg_proc p cross join pg_roles r
    where p.pronamespace = 'private'::regnamespace and p.proname like 'amocrm\_%'
      and r.rolname in ('anon', 'authenticated', 'service_role')
      and has_function_privilege(r.oid, p.oid, 'execute')),
  null,
  'no API role executes the private amocrm_* helpers');

select is(
  (select array_agg(r.rolname::text order by r.rolname) from pg_roles r
    where r.rolname in ('anon', 'authenticated', 'service_role')
      and has_table_privilege(r.oid, 'private.amocrm_lead_events',
        'select, insert, update, delete')),
  null,
  'no API role touches private.amocrm_lead_events');

select tests.authenticate_as(tests.create_user('amo-user'));
select throws_ok(
  $$select public.amocrm_replay_failed(1)$$,
  '42501', null,
  'a signed-in user cannot run the replay');

select * from finish();
rollback;
