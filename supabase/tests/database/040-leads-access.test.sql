-- Access matrix for traffic_leads: (anon, user A, user B, admin, service_role) x
-- (select, insert, update, delete). Clients only read: a user their own leads, an admin all of
-- them; only service_role writes.
-- Note: the unattributed lead (user_id null) is visible to the admin only.
begin;
select plan(22);
select tests.create_fixture();

-- supabase/tests/helpers/004-access-matrix.sql: anon nothing; A and B read their own rows; the
-- admin reads all; only service_role writes.
select * from tests.read_only_access_matrix(
  'public.traffic_leads',
  $q$amocrm_lead_id between 990000001 and 990000999$q$,
  $q$insert into public.traffic_leads (amocrm_lead_id, created_at) values (990000010, '2000-01-02')$q$,
  $q$is_deleted = true$q$,
  1, 1, 3);

select * from finish();
rollback;
