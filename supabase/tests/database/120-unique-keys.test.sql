-- The unique keys that make every writer an idempotent upsert reject duplicates.
begin;
select plan(11);
select tests.create_fixture();

select throws_ok($$insert into public.traffic_facebook_ads_raw
  (user_id, account_id, campaign_id, ad_id, stat_date)
  values (tests.uid('a'), 'pgtap', 'c-a', 'ad-a', '2000-01-01')$$,
  '23505', null, 'ads raw: one row per (user_id, ad_id, stat_date)');
select lives_ok($$insert into public.traffic_facebook_ads_raw
  (user_id, account_id, campaign_id, ad_id, stat_date, spend)
  values (tests.uid('a'), 'pgtap', 'c-a', 'ad-a', '2000-01-01', 99)
  on conflict (user_id, ad_id, stat_date) do update set spend = excluded.spend$$,
  'ads raw: a re-sync is an upsert on that key');
select throws_ok($$insert into public.traffic_leads (amocrm_lead_id, created_at)
  values (990000001, now())$$, '23505', null, 'leads: one row per amocrm_lead_id');
select throws_ok($$insert into public.traffic_sales (amocrm_lead_id, product, sale_type, sold_at)
  values (990000001, 'express', 'full', now())$$, '23505', null,
  'sales: one ledger row per amocrm_lead_id');
select throws_ok($$insert into public.traffic_amocrm_events (raw_body, body_sha256)
  values ('again', 'pgtap-sha-1')$$, '23505', null, 'events: one row per body_sha256');
select throws_ok($$insert into public.traffic_amocrm_pipelines (pipeline_id, product)
  values (990000001, 'express')$$, '23505', null, 'pipelines: one row per pipeline_id');
select throws_ok($$insert into public.exchange_rates (rate_date, currency, rate_kzt)
  values ('2000-01-01', 'USD', 1)$$, '23505', null, 'rates: one row per (rate_date, currency)');
select throws_ok($$insert into public.traffic_aggregated_metrics
  (user_id, team_name, period, period_start, period_end)
  values (tests.uid('a'), 'x', '30d', '2000-01-01', '2000-01-30')$$, '23505', null,
  'metrics: one row per (user_id, period)');
select throws_ok($$insert into public.traffic_aggregated_metrics
  (user_id, team_name, period, period_start, period_end)
  values (null, 'x', '30d', '2000-01-01', '2000-01-30')$$, '23505', null,
  'metrics: one team-wide row per period (nulls not distinct)');
select throws_ok($$insert into public.traffic_targetologist_settings (user_id, team_name)
  values (tests.uid('a'), 'x')$$, '23505', null, 'settings: one row per user');
select throws_ok($$insert into public.traffic_sync_locks (lock_key, holder, locked_until)
  values ('pgtap', gen_random_uuid(), now())$$, '23505', null, 'locks: one row per key');

select * from finish();
rollback;
