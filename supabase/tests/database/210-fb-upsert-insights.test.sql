-- fb_upsert_insights(): one batched upsert per page; re-sending the same rows writes nothing
-- (synced_at included), a revised value updates that row only, duplicates in one batch collapse
-- (the last wins), older data never overwrites newer, team_name comes from the settings.
begin;
select plan(12);
select tests.create_fixture();

select set_config('pgtap.rows', $$[
  {"account_id": "798085168510957", "account_name": "Acme", "account_currency": "KZT",
   "campaign_id": "23854404676180548", "campaign_name": "C", "adset_id": "23854404706320548",
   "adset_name": "S", "ad_id": "23854695759200549", "ad_name": "Ad 1", "stat_date": "2000-02-01",
   "spend": "14350.10", "impressions": 185, "clicks": 9, "reach": null},
  {"account_id": "798085168510957", "account_name": "Acme", "account_currency": "KZT",
   "campaign_id": "23854404676180548", "campaign_name": "C", "adset_id": "23854404706320548",
   "adset_name": "S", "ad_id": "23854695759200550", "ad_name": "Ad 2", "stat_date": "2000-02-01",
   "spend": "0.97", "impressions": 40, "clicks": 0, "reach": 38}
]$$, true);

select is(public.fb_upsert_insights(tests.uid('a'), current_setting('pgtap.rows')::jsonb), 2,
  'two new rows are inserted');
select is((select spend::text from public.traffic_facebook_ads_raw
  where user_id = tests.uid('a') and ad_id = '23854695759200549'), '14350.10',
  'spend is exact and the id above 2^53 is kept as text');
select is((select team_name from public.traffic_facebook_ads_raw
  where user_id = tests.uid('a') and ad_id = '23854695759200549'), 'pgtap A',
  'team_name comes from the settings');
select is((select reach from public.traffic_facebook_ads_raw
  where user_id = tests.uid('a') and ad_id = '23854695759200549'), 0::bigint,
  'a reach Meta omitted is stored as 0');

update public.traffic_facebook_ads_raw set synced_at = '2000-01-01'
  where user_id = tests.uid('a') and stat_date = '2000-02-01';
select is(public.fb_upsert_insights(tests.uid('a'), current_setting('pgtap.rows')::jsonb), 0,
  'the same rows again change nothing');
select is((select count(*)::int from public.traffic_facebook_ads_raw
  where user_id = tests.uid('a') and synced_at = '2000-01-01'), 2,
  'synced_at does not churn on an unchanged row');

select is(public.fb_upsert_insights(tests.uid('a'), jsonb_build_array(
    (current_setting('pgtap.rows')::jsonb -> 1) || '{"spend": "1.50"}',
    (current_setting('pgtap.rows')::jsonb -> 1) || '{"spend": "2.25"}')), 1,
  'a revised figure updates one row, the last duplicate of a batch wins');
select is((select spend from public.traffic_facebook_ads_raw
  where user_id = tests.uid('a') and ad_id = '23854695759200550'), 2.25::numeric,
  'the revised spend is stored');
select is((select count(*)::int from public.traffic_facebook_ads_raw
  where user_id = tests.uid('a') and stat_date = '2000-02-01'), 2, 'no duplicate rows');

select is(public.fb_upsert_insights(tests.uid('a'), jsonb_build_array(
    (current_setting('pgtap.rows')::jsonb -> 1) || '{"spend": "9.99"}'), '1999-01-01'), 0,
  'data fetched before the stored row never overwrites it');
select is(public.fb_upsert_insights(tests.uid('b'), current_setting('pgtap.rows')::jsonb), 2,
  'the same ads for another user are that user''s rows');
select throws_ok($$select public.fb_upsert_insights(gen_random_uuid(), '[]')$$, 'P0002', null,
  'a user without settings is refused');

select * from finish();
rollback;
