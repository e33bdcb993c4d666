-- Access matrix for traffic_sync_locks and its two functions: service_role only. Every client
-- role, the admin included, is refused every operation.
begin;
select plan(26);
select tests.create_fixture();

-- What a client role is refused, in order: the table, then the two lease functions.
create temp table refused (n int, what text, stmt text);
insert into refused values
  (1, 'select', 'select * from public.traffic_sync_locks'),
  (2, 'insert', $$insert into public.traffic_sync_locks (lock_key, holder, locked_until)
  values ('pgtap-x', gen_random_uuid(), now())$$),
  (3, 'update', 'update public.traffic_sync_locks set locked_until = now()'),
  (4, 'delete', 'delete from public.traffic_sync_locks'),
  (5, 'traffic_try_lock', $$select public.traffic_try_lock('pgtap-x', 60)$$),
  (6, 'traffic_release_lock', $$select public.traffic_release_lock('pgtap', gen_random_uuid())$$);
grant select on refused to anon, authenticated;
-- The first p_n of them, as tests.as_each checks.
create function pg_temp.refused_checks(p_n int) returns text[] language sql as $$
  select array_agg(format('select throws_ok(%L, %L, null, %L)', r.stmt, '42501',
    '{who}: ' || r.what || ' denied') order by r.n)
  from refused r where r.n <= p_n
$$;

select * from tests.as_each(array['anon', 'a'], variadic pg_temp.refused_checks(5));
select * from tests.as_each(array['b'], variadic pg_temp.refused_checks(4));
select * from tests.as_each(array['admin'], variadic pg_temp.refused_checks(6));

select tests.authenticate_as_service_role();
select is((select count(*)::int from public.traffic_sync_locks where lock_key like 'pgtap%'), 1,
  'service_role: select allowed');
select lives_ok($$insert into public.traffic_sync_locks (lock_key, holder, locked_until)
  values ('pgtap-x', gen_random_uuid(), now())$$, 'service_role: insert allowed');
select is(tests.row_count($$update public.traffic_sync_locks set locked_until = now()
  where lock_key like 'pgtap%'$$), 2, 'service_role: update allowed');
select is(tests.row_count($$delete from public.traffic_sync_locks where lock_key like 'pgtap%'$$),
  2, 'service_role: delete allowed');
select isnt(public.traffic_try_lock('pgtap-y', 60), null, 'service_role: traffic_try_lock allowed');
select is(public.traffic_release_lock('pgtap-y', gen_random_uuid()), false,
  'service_role: traffic_release_lock allowed');

select * from finish();
rollback;
