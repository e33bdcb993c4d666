-- Access matrix for traffic_aggregated_metrics: (anon, user A, user B, admin, service_role) x
-- (select, insert, update, delete). Clients only read: a user their own metrics rows, an admin all of
-- them; only service_role writes.
-- Note: the team-wide row (user_id null) is visible to the admin only.
begin;
select plan(22);
select tests.create_fixture();

-- supabase/tests/helpers/004-access-matrix.sql: anon nothing; A and B read their own rows; the
-- admin reads all; only service_role writes.
select * from tests.read_only_access_matrix(
  'public.traffic_aggregated_metrics',
  $q$team_name like 'pgtap%'$q$,
  $q$insert into public.traffic_aggregated_metrics (user_id, team_name, period, period_start, period_end) values (tests.uid('a'), 'pgtap A', 'today', '2000-01-01', '2000-01-01')$q$,
  $q$roas = 1$q$,
  1, 1, 3);

select * from finish();
rollback;
