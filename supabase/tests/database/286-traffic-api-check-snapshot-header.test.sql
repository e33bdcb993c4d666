-- traffic-api's cache check takes its snapshot from the request header x-traffic-snapshot when
-- called without an argument (public.traffic_api_check, migration 20261208042200), so PostgREST
-- calls it without its JSON argument payload: the header is used, the argument wins, no header (or
-- no request.headers at all) is no snapshot ("changed"), and the call stays inlined.
begin;
select plan(6);
select tests.create_fixture();
-- This transaction's own change rows lie outside every snapshot taken in it.
delete from private.traffic_api_changes where xid = pg_current_xact_id();
create temporary table snap (s text) on commit drop;
insert into snap select pg_current_snapshot()::text;
grant select on snap to authenticated;

select tests.authenticate_as(tests.uid('a'));
select set_config('request.headers',
  json_build_object('x-traffic-snapshot', (select s from snap))::text, true);
select is((select c.changed from public.traffic_api_check() c), false,
  'the snapshot from the header: nothing changed since');
select is((select c.changed from public.traffic_api_check(null) c), true,
  'an argument wins over the header (null: no snapshot, changed)');
select set_config('request.headers', '{"accept":"*/*"}', true);
select is((select c.changed from public.traffic_api_check() c), true,
  'no such header: no snapshot, changed');
select set_config('request.headers', '', true);
select is((select c.changed from public.traffic_api_check() c), true,
  'request.headers empty (set by an earlier transaction): no snapshot, no error');
reset role;

create temporary table plan_text (t text) on commit drop;
grant all on plan_text to authenticated;
create function pg_temp.plan_of_call() returns void language plpgsql as $$
declare
  v_line text;
begin
  for v_line in execute 'explain (verbose, costs off) select * from public.traffic_api_check()'
  loop
    insert into plan_text values (v_line);
  end loop;
end
$$;
grant execute on function pg_temp.plan_of_call() to authenticated;
select tests.authenticate_as(tests.uid('a'));
select pg_temp.plan_of_call();
reset role;
select is(
  (select count(*) from plan_text where t ~ 'Function Scan on public\.traffic_api_check'),
  0::bigint, 'called without an argument, it is inlined');
select is(
  (select count(*) from plan_text where t ~ 'current_setting' and t ~ 'Filter'), 0::bigint,
  'the header is read once per call, not in the change log''s per-row filter');

select * from finish();
rollback;
