-- Access matrix for traffic_facebook_ads_raw: (anon, user A, user B, admin, service_role) x
-- (select, insert, update, delete). Clients only read: a user their own ads rows, an admin all of
-- them; only service_role writes.
begin;
select plan(22);
select tests.create_fixture();

-- supabase/tests/helpers/004-access-matrix.sql: anon nothing; A and B read their own rows; the
-- admin reads all; only service_role writes.
select * from tests.read_only_access_matrix(
  'public.traffic_facebook_ads_raw',
  $q$account_id = 'pgtap'$q$,
  $q$insert into public.traffic_facebook_ads_raw (user_id, account_id, campaign_id, ad_id, stat_date) values (tests.uid('a'), 'pgtap', 'c-a', 'ad-new', '2000-01-02')$q$,
  $q$spend = 1$q$,
  1, 1, 2);

select * from finish();
rollback;
