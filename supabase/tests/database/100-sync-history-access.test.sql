-- Access matrix for traffic_sync_history: (anon, user A, user B, admin, service_role) x
-- (select, insert, update, delete). Clients only read: a user their own runs, an admin all of
-- them; only service_role writes.
-- Note: the team-wide run (user_id null) is visible to the admin only.
begin;
select plan(22);
select tests.create_fixture();

-- supabase/tests/helpers/004-access-matrix.sql: anon nothing; A and B read their own rows; the
-- admin reads all; only service_role writes.
select * from tests.read_only_access_matrix(
  'public.traffic_sync_history',
  $q$triggered_by = 'pgtap'$q$,
  $q$insert into public.traffic_sync_history (sync_type, triggered_by) values ('aggregation', 'pgtap')$q$,
  $q$success = true$q$,
  1, 1, 3);

select * from finish();
rollback;
