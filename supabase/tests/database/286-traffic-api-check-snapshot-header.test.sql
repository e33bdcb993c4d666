-- traffic-api's cache check takes its snapshot from the request header x-traffic-snapshot when
-- called without an argument (public.traffic_api_check, migration 20261208042200), so PostgREST
-- calls it without its JSON argument payload: the header is used, the argument wins, no header (or
-- no request.headers at all) is no snapshot ("changed").
begin;
select plan(4);
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

-- That it stays inlined, called without an argument, and reads the header once: pgTAP 284.

select * from finish();
rollback;
