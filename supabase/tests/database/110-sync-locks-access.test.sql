-- Access matrix for traffic_sync_locks and its two functions: service_role only. Every client
-- role, the admin included, is refused every operation.
begin;
select plan(26);
select tests.create_fixture();

select tests.authenticate_as_anon();
select throws_ok($$select * from public.traffic_sync_locks$$, '42501', null, 'anon: select denied');
select throws_ok($$insert into public.traffic_sync_locks (lock_key, holder, locked_until)
  values ('pgtap-x', gen_random_uuid(), now())$$, '42501', null, 'anon: insert denied');
select throws_ok($$update public.traffic_sync_locks set locked_until = now()$$, '42501', null,
  'anon: update denied');
select throws_ok($$delete from public.traffic_sync_locks$$, '42501', null, 'anon: delete denied');
select throws_ok($$select public.traffic_try_lock('pgtap-x', 60)$$, '42501', null,
  'anon: traffic_try_lock denied');

select tests.authenticate_as(tests.uid('a'));
select throws_ok($$select * from public.traffic_sync_locks$$, '42501', null, 'A: select denied');
select throws_ok($$insert into public.traffic_sync_locks (lock_key, holder, locked_until)
  values ('pgtap-x', gen_random_uuid(), now())$$, '42501', null, 'A: insert denied');
select throws_ok($$update public.traffic_sync_locks set locked_until = now()$$, '42501', null,
  'A: update denied');
select throws_ok($$delete from public.traffic_sync_locks$$, '42501', null, 'A: delete denied');
select throws_ok($$select public.traffic_try_lock('pgtap-x', 60)$$, '42501', null,
  'A: traffic_try_lock denied');

select tests.authenticate_as(tests.uid('b'));
select throws_ok($$select * from public.traffic_sync_locks$$, '42501', null, 'B: select denied');
select throws_ok($$insert into public.traffic_sync_locks (lock_key, holder, locked_until)
  values ('pgtap-x', gen_random_uuid(), now())$$, '42501', null, 'B: insert denied');
select throws_ok($$update public.traffic_sync_locks set locked_until = now()$$, '42501', null,
  'B: update denied');
select throws_ok($$delete from public.traffic_sync_locks$$, '42501', null, 'B: delete denied');

select tests.authenticate_as(tests.uid('admin'), true);
select throws_ok($$select * from public.traffic_sync_locks$$, '42501', null, 'admin: select denied');
select throws_ok($$insert into public.traffic_sync_locks (lock_key, holder, locked_until)
  values ('pgtap-x', gen_random_uuid(), now())$$, '42501', null, 'admin: insert denied');
select throws_ok($$update public.traffic_sync_locks set locked_until = now()$$, '42501', null,
  'admin: update denied');
select throws_ok($$delete from public.traffic_sync_locks$$, '42501', null, 'admin: delete denied');
select throws_ok($$select public.traffic_try_lock('pgtap-x', 60)$$, '42501', null,
  'admin: traffic_try_lock denied');
select throws_ok($$select public.traffic_release_lock('pgtap', gen_random_uuid())$$, '42501', null,
  'admin: traffic_release_lock denied');

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
