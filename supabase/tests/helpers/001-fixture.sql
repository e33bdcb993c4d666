-- The fixture every access-matrix file starts from (a helper file, committed like 000-helpers.sql).
begin;

-- Users a, b (targetologists) and admin, with rows for a and b (and team-wide or unattributed
-- rows) in every table. Every row is marked so counts ignore rows other tests left behind:
-- ids 990000001.., text 'pgtap', dates in 2000.
create or replace function tests.create_fixture()
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  a uuid := tests.create_user('a');
  b uuid := tests.create_user('b');
begin
  perform tests.create_user('admin', true);

  insert into public.traffic_targetologist_settings (user_id, team_name, facebook_access_token)
  values (a, 'pgtap A', 'tok-a'), (b, 'pgtap B', 'tok-b');

  insert into public.traffic_facebook_ads_raw
    (user_id, team_name, account_id, campaign_id, ad_id, stat_date, spend)
  values (a, 'pgtap A', 'pgtap', 'c-a', 'ad-a', '2000-01-01', 10),
         (b, 'pgtap B', 'pgtap', 'c-b', 'ad-b', '2000-01-01', 20);

  insert into public.traffic_leads (amocrm_lead_id, user_id, created_at)
  values (990000001, a, '2000-01-01'), (990000002, b, '2000-01-01'),
         (990000003, null, '2000-01-01');

  insert into public.traffic_sales
    (amocrm_lead_id, user_id, product, sale_type, sale_amount, sold_at, status)
  values (990000001, a, 'challenge3d', 'prepayment', 5000, '2000-01-01', 'active'),
         (990000002, b, 'express', 'full', 7000, '2000-01-01', 'active'),
         (990000003, null, 'intensive1d', 'full', 9000, '2000-01-01', 'active'),
         (990000004, a, 'challenge3d', 'full', 1000, '2000-01-01', 'reversed');

  insert into public.traffic_amocrm_events (raw_body, body_sha256)
  values ('pgtap 1', 'pgtap-sha-1'), ('pgtap 2', 'pgtap-sha-2');

  insert into public.traffic_amocrm_pipelines (pipeline_id, name, product)
  values (990000001, 'pgtap', 'challenge3d');

  insert into public.exchange_rates (rate_date, currency, rate_kzt, source)
  values ('2000-01-01', 'USD', 500, 'pgtap');

  -- The team row is unique per period (nulls not distinct): make room for ours.
  delete from public.traffic_aggregated_metrics where user_id is null and period = '30d';
  insert into public.traffic_aggregated_metrics (user_id, team_name, period, period_start, period_end)
  values (a, 'pgtap A', '30d', '2000-01-01', '2000-01-30'),
         (b, 'pgtap B', '30d', '2000-01-01', '2000-01-30'),
         (null, 'pgtap', '30d', '2000-01-01', '2000-01-30');

  insert into public.traffic_sync_history (sync_type, user_id, triggered_by)
  values ('facebook_ads', a, 'pgtap'), ('facebook_ads', b, 'pgtap'), ('full', null, 'pgtap');

  insert into public.traffic_sync_locks (lock_key, holder, locked_until)
  values ('pgtap', gen_random_uuid(), now() + interval '1 minute');
end
$$;
comment on function tests.create_fixture() is
  'Users a, b, admin and one marked row per user (plus team/unattributed rows) in every table.';
revoke all on function tests.create_fixture() from public, anon, authenticated, service_role;

commit;
