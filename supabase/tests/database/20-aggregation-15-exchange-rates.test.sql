-- Rates: which days to fetch, the seed's average-rate question, and a loud failure (never a
-- wrong ROAS) when a day with spend has no rate on or before it.
begin;
select plan(11);
select tests.agg_fixture();

select results_eq(
  $$select currency, rate_date from public.traffic_rate_dates_needed('2026-11-03', '2026-11-09')$$,
  $$values ('USD', '2026-11-07'::date), ('EUR', '2026-11-08'::date), ('USD', '2026-11-08'::date)$$,
  'days with spend and no rate of their own: Sat USD (A), Sun EUR + USD (B); not KZT, not '
  'the inactive user''s GBP, not zero-spend days');
insert into public.exchange_rates (rate_date, currency, rate_kzt) values ('2026-11-07', 'USD', 471);
select is((select count(*)::int from public.traffic_rate_dates_needed('2026-11-03', '2026-11-09')),
  2, 'a stored day is no longer asked for');
delete from public.exchange_rates where rate_date = '2026-11-07';

select is(public.get_average_exchange_rate('2026-11-06', '2026-11-09'), 472.5::numeric,
  'USD average of Fri, Sat, Sun (Friday''s 470) and Mon (480)');
select is(public.get_average_exchange_rate('2026-11-06', '2026-11-09', 'eur'), 519.75::numeric,
  'EUR: (517 x 3 + 528) / 4');
select is(public.get_average_exchange_rate('2026-11-06', '2026-11-09', 'KZT'), 1::numeric,
  'KZT is 1');
select throws_ok($$select public.get_average_exchange_rate('2026-11-05', '2026-11-06')$$,
  'TS001', 'missing exchange rate: no USD rate on or before 2026-11-05',
  'a day before any rate raises');

-- A currency with no rate at all, on a day with spend of an active targetologist.
insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id, campaign_id, ad_id,
  stat_date, spend, account_currency)
values (tests.agg_user('c'), 'Charlie', 'act_c2', 'c-c2', 'ad-c2', '2026-11-09', 5, 'GBP');
select throws_ok($$select * from public.traffic_metrics_for_range('2026-11-09', '2026-11-09')$$,
  'TS001', 'missing exchange rate: no GBP rate on or before 2026-11-09',
  'missing rate: the metrics raise, naming currency and day');
select throws_ok($$select public.traffic_aggregate_metrics('Asia/Almaty', '2026-11-09')$$,
  'TS001', 'missing exchange rate: no GBP rate on or before 2026-11-09',
  'and so does the aggregation run');
select is((select count(*)::int from public.traffic_aggregated_metrics), 0,
  'which writes nothing');
delete from public.traffic_facebook_ads_raw where ad_id = 'ad-c2';

-- No USD rate on or before a day with USD spend.
delete from public.exchange_rates where rate_date = '2026-11-06' and currency = 'USD';
select throws_ok($$select * from public.traffic_metrics_for_range('2026-11-06', '2026-11-06')$$,
  'TS001', 'missing exchange rate: no USD rate on or before 2026-11-06',
  'missing USD rate: raises');
select lives_ok($$select * from public.traffic_metrics_for_range('2026-11-09', '2026-11-09')$$,
  'a range whose days all have a rate still works');

select * from finish();
rollback;
