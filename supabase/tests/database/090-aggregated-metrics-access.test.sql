-- Access matrix for traffic_aggregated_metrics: (anon, user A, user B, admin, service_role) x
-- (select, insert, update, delete). Clients only read: a user their own metrics rows, an admin all of
-- them; only service_role writes.
-- Note: the team-wide row (user_id null) is visible to the admin only.
begin;
select plan(22);
select tests.create_fixture();

-- anon: no grant at all
select tests.authenticate_as_anon();
select throws_ok(
  $$select * from public.traffic_aggregated_metrics$$,
  '42501', null, 'anon: select denied');
select throws_ok(
  $$insert into public.traffic_aggregated_metrics (user_id, team_name, period, period_start, period_end) values (tests.uid('a'), 'pgtap A', 'today', '2000-01-01', '2000-01-01')$$,
  '42501', null, 'anon: insert denied');
select throws_ok(
  $$update public.traffic_aggregated_metrics set roas = 1 where team_name like 'pgtap%'$$,
  '42501', null, 'anon: update denied');
select throws_ok(
  $$delete from public.traffic_aggregated_metrics where team_name like 'pgtap%'$$,
  '42501', null, 'anon: delete denied');

-- user A: reads own rows only, writes nothing
select tests.authenticate_as(tests.uid('a'));
select is((select count(*)::int from public.traffic_aggregated_metrics where team_name like 'pgtap%'), 1, 'A: select sees own 1 row(s)');
select is((select count(*)::int from public.traffic_aggregated_metrics where team_name like 'pgtap%'
  and user_id is distinct from tests.uid('a')), 0, 'A: select sees no one else''s rows');
select throws_ok(
  $$insert into public.traffic_aggregated_metrics (user_id, team_name, period, period_start, period_end) values (tests.uid('a'), 'pgtap A', 'today', '2000-01-01', '2000-01-01')$$,
  '42501', null, 'A: insert denied');
select throws_ok(
  $$update public.traffic_aggregated_metrics set roas = 1 where team_name like 'pgtap%'$$,
  '42501', null, 'A: update denied');
select throws_ok(
  $$delete from public.traffic_aggregated_metrics where team_name like 'pgtap%'$$,
  '42501', null, 'A: delete denied');

-- user B: reads own rows only, writes nothing
select tests.authenticate_as(tests.uid('b'));
select is((select count(*)::int from public.traffic_aggregated_metrics where team_name like 'pgtap%'), 1, 'B: select sees own 1 row(s)');
select is((select count(*)::int from public.traffic_aggregated_metrics where team_name like 'pgtap%'
  and user_id is distinct from tests.uid('b')), 0, 'B: select sees no one else''s rows');
select throws_ok(
  $$insert into public.traffic_aggregated_metrics (user_id, team_name, period, period_start, period_end) values (tests.uid('a'), 'pgtap A', 'today', '2000-01-01', '2000-01-01')$$,
  '42501', null, 'B: insert denied');
select throws_ok(
  $$update public.traffic_aggregated_metrics set roas = 1 where team_name like 'pgtap%'$$,
  '42501', null, 'B: update denied');
select throws_ok(
  $$delete from public.traffic_aggregated_metrics where team_name like 'pgtap%'$$,
  '42501', null, 'B: delete denied');

-- admin: reads every row, writes nothing
select tests.authenticate_as(tests.uid('admin'), true);
select is((select count(*)::int from public.traffic_aggregated_metrics where team_name like 'pgtap%'), 3, 'admin: select sees all 3 rows');
select throws_ok(
  $$insert into public.traffic_aggregated_metrics (user_id, team_name, period, period_start, period_end) values (tests.uid('a'), 'pgtap A', 'today', '2000-01-01', '2000-01-01')$$,
  '42501', null, 'admin: insert denied');
select throws_ok(
  $$update public.traffic_aggregated_metrics set roas = 1 where team_name like 'pgtap%'$$,
  '42501', null, 'admin: update denied');
select throws_ok(
  $$delete from public.traffic_aggregated_metrics where team_name like 'pgtap%'$$,
  '42501', null, 'admin: delete denied');

-- service_role: full access (bypasses RLS)
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.traffic_aggregated_metrics where team_name like 'pgtap%'), 3, 'service_role: select sees all 3 rows');
select lives_ok(
  $$insert into public.traffic_aggregated_metrics (user_id, team_name, period, period_start, period_end) values (tests.uid('a'), 'pgtap A', 'today', '2000-01-01', '2000-01-01')$$,
  'service_role: insert allowed');
select is(tests.row_count($$update public.traffic_aggregated_metrics set roas = 1 where team_name like 'pgtap%'$$), 4,
  'service_role: update allowed');
select is(tests.row_count($$delete from public.traffic_aggregated_metrics where team_name like 'pgtap%'$$), 4,
  'service_role: delete allowed');

select * from finish();
rollback;
