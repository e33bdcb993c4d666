-- traffic-api's cache check (public.traffic_api_check, migration 20261208030500) is a
-- plain SQL function PostgreSQL inlines into the calling statement, so a revalidating request no
-- longer runs a plpgsql security definer function through SPI; the per-team rule moved into a row
-- level security policy on the change log, which the caller reads itself. Here: that it is
-- inlined (no function scan of it in the plan; before, a plpgsql security definer function, it
-- was one), what each caller may read of the change log (and may not write), and the answers
-- (pgTAP 250 pins the per-team answers and that the claims are read once per check).
begin;
select plan(13);
select tests.create_fixture();
-- This transaction's own change row (the fixture's writes) lies outside every snapshot taken in it.
delete from private.traffic_api_changes where xid = pg_current_xact_id();

select ok(
  (select p.prolang = (select oid from pg_language where lanname = 'sql')
      and p.proretset and p.provolatile = 's' and not p.proisstrict and not p.prosecdef
      and p.proconfig is null
    from pg_proc p where p.oid = 'public.traffic_api_check(text)'::regprocedure),
  'the check is plain SQL, returns rows, stable, not strict, not security definer, no SET clause');

-- The plan of the call as PostgREST makes it (in the FROM list), as a targetologist.
create temporary table plan_text (t text) on commit drop;
grant all on plan_text to authenticated;
create table pg_temp.plan_text_no_arg (t text);
grant all on pg_temp.plan_text_no_arg to authenticated;
-- Both calls: with an argument, and without (the snapshot from the x-traffic-snapshot header,
-- 20261208042200), as traffic-api calls it.
create function pg_temp.plan_of_call() returns void language plpgsql as $$
declare
  v_line text;
begin
  for v_line in execute
    'explain (verbose, costs off) select * from public.traffic_api_check(pg_current_snapshot()::text)'
  loop
    insert into plan_text values (v_line);
  end loop;
  for v_line in execute 'explain (verbose, costs off) select * from public.traffic_api_check()'
  loop
    insert into pg_temp.plan_text_no_arg values (v_line);
  end loop;
end
$$;
grant execute on function pg_temp.plan_of_call() to authenticated;
select tests.authenticate_as(tests.uid('a'));
select pg_temp.plan_of_call();
reset role;
select is(
  (select count(*) from pg_temp.plan_text_no_arg
   where t ~ 'Function Scan on public\.traffic_api_check'),
  0::bigint, 'called without an argument too');
select is(
  (select count(*) from pg_temp.plan_text_no_arg where t ~ 'current_setting' and t ~ 'Filter'),
  0::bigint, 'the header is read once per call, not in the change log''s per-row filter');
select is(
  (select count(*) from plan_text where t ~ 'Function Scan on public\.traffic_api_check'),
  0::bigint, 'PostgreSQL inlines it: the plan has no function scan of it');
select ok(
  (select count(*) from plan_text where t ~ 'traffic_api_changes') > 0,
  'the plan reads the change log itself');

-- Change rows of transactions far beyond every real one (not visible in any snapshot taken now).
create temporary table far (base xid8) on commit drop;
insert into far select (pg_current_xact_id()::text::bigint + 2000000000000)::text::xid8;
insert into private.traffic_api_changes (xid, users)
select (f.base::text::bigint + g.n)::text::xid8, g.users
from far f, (values (1, array[tests.uid('a')]), (2, array[tests.uid('b')]), (3, null::uuid[]),
  (4, '{}'::uuid[])) g(n, users);
create temporary table counted (who text, n bigint) on commit drop;
grant all on counted, far to authenticated, service_role, anon;
create function pg_temp.count_far(p_who text) returns void language sql as $$
  insert into counted
  select p_who, count(*) from private.traffic_api_changes c, far f
  where c.xid > f.base
$$;
grant execute on function pg_temp.count_far(text) to authenticated, service_role, anon;

select tests.authenticate_as(tests.uid('a'));
select pg_temp.count_far('a');
select tests.authenticate_as(tests.uid('admin'), true);
select pg_temp.count_far('admin');
select tests.authenticate_as_service_role();
select pg_temp.count_far('service');
reset role;
select is((select n from counted where who = 'a'), 2::bigint,
  'a targetologist reads their own team''s change rows and global ones, not another team''s nor a no-team one');
select is((select n from counted where who = 'admin'), 4::bigint, 'an admin reads every change row');
select is((select n from counted where who = 'service'), 4::bigint,
  'a service caller reads every change row');

select tests.authenticate_as_anon();
select throws_ok($$select pg_temp.count_far('anon')$$, '42501', null,
  'a visitor with the anon key reads nothing of the change log');
reset role;
select tests.authenticate_as(tests.uid('a'));
select throws_ok($$select changed_at from private.traffic_api_changes limit 1$$, '42501', null,
  'a signed-in user reads only the two columns the check needs');
select throws_ok(
  $$insert into private.traffic_api_changes (xid, users) values ('1'::xid8, null)$$, '42501', null,
  'a signed-in user writes nothing to the change log');
reset role;

-- The answers, as each caller: a change row outside the snapshot the caller may read is a change.
select tests.authenticate_as(tests.uid('a'));
select is(
  (select row(c.changed, c.snapshot = pg_current_snapshot()::text)::text
    from public.traffic_api_check(pg_current_snapshot()::text) c),
  '(t,t)', 'one row: changed (A''s own change row lies outside), and the current snapshot');
reset role;
delete from private.traffic_api_changes c using far f
where c.xid > f.base and (c.users is null or c.users = array[tests.uid('a')]);
select tests.authenticate_as(tests.uid('a'));
select is(
  (select c.changed from public.traffic_api_check(pg_current_snapshot()::text) c),
  false, '... and unchanged once only other teams'' and no-team rows lie outside');
reset role;

select * from finish();
rollback;
