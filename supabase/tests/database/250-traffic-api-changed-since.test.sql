-- traffic-api's cache check (public.traffic_api_changed_since, migration 20261207141508): the
-- per-team rules of 20261207114917 unchanged, and the caller's JWT claims read once per check,
-- not once per change row (before: private.is_admin() ran for every row after the snapshot that
-- named another team, so a long change log made every revalidating request slower).
begin;
select plan(8);
select tests.create_fixture();
set local track_functions = 'all';
-- This transaction's own change row (the fixture's writes) lies outside every snapshot taken in it.
delete from private.traffic_api_changes where xid = pg_current_xact_id();

-- Change rows of transactions far beyond every real one (not visible in any snapshot taken now;
-- no real transaction reaches these ids, so no insert of theirs waits on these rows).
create temporary table far (base xid8) on commit drop;
insert into far select (pg_current_xact_id()::text::bigint + 1000000000000)::text::xid8;
grant select on far to authenticated, service_role;
create temporary table snap (s text) on commit drop;
insert into snap select pg_current_snapshot()::text;
grant select on snap to authenticated, service_role;
create temporary table seen (who text, changed boolean, admin_calls bigint) on commit drop;
grant all on seen to authenticated, service_role;

-- 500 changes of other teams.
insert into private.traffic_api_changes (xid, users)
select (f.base::text::bigint + g)::text::xid8, array[gen_random_uuid()]
from far f, generate_series(1, 500) g;

create function pg_temp.check_as(p_who text) returns void language plpgsql as $$
declare
  v_before bigint := coalesce(pg_stat_get_xact_function_calls('private.is_admin'::regproc), 0);
  v_changed boolean := (public.traffic_api_changed_since((select s from snap)) ->> 'changed')::boolean;
begin
  insert into seen values (p_who, v_changed,
    coalesce(pg_stat_get_xact_function_calls('private.is_admin'::regproc), 0) - v_before);
end
$$;
grant execute on function pg_temp.check_as(text) to authenticated, service_role;

select tests.authenticate_as(tests.uid('a'));
select pg_temp.check_as('a, others');
reset role;
select is((select changed from seen where who = 'a, others'), false,
  'a targetologist: 500 changes of other teams are no change');
select cmp_ok((select admin_calls from seen where who = 'a, others'), '<=', 1::bigint,
  'the caller''s claims are read once per check, not once per change row');

select tests.authenticate_as(tests.uid('admin'), true);
select pg_temp.check_as('admin, others');
reset role;
select is((select changed from seen where who = 'admin, others'), true,
  'an admin: any change is one');

select tests.authenticate_as_service_role();
select pg_temp.check_as('service, others');
reset role;
select is((select changed from seen where who = 'service, others'), true,
  'a service caller: any change is one');

-- A change of team A's rows, then a global one.
insert into private.traffic_api_changes (xid, users)
select (f.base::text::bigint + 1000)::text::xid8, array[tests.uid('a')] from far f;
select tests.authenticate_as(tests.uid('a'));
select pg_temp.check_as('a, own');
select tests.authenticate_as(tests.uid('b'));
select pg_temp.check_as('b, a''s');
reset role;
select is((select changed from seen where who = 'a, own'), true, 'a change of A''s rows: A sees it');
select is((select changed from seen where who = 'b, a''s'), false, '... B does not');

insert into private.traffic_api_changes (xid, users)
select (f.base::text::bigint + 1001)::text::xid8, null from far f;
select tests.authenticate_as(tests.uid('b'));
select pg_temp.check_as('b, global');
reset role;
select is((select changed from seen where who = 'b, global'), true, 'a global change: every team');

-- No snapshot: always changed (one older than the pruned bound: traffic-api-changes-prune.test.ts).
select tests.authenticate_as(tests.uid('b'));
select is((public.traffic_api_changed_since(null) ->> 'changed')::boolean, true,
  'no snapshot: changed');
reset role;

select * from finish();
rollback;
