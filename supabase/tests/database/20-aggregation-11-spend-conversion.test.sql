-- Spend is converted day by day at the effective official rate (latest on or before the day):
-- the weekend uses Friday's rate, EUR and KZT accounts go through KZT, inactive users' spend
-- (even in a currency without any rate) is ignored.
begin;
select plan(14);
select tests.agg_fixture();
select public.traffic_aggregate_metrics('Asia/Almaty', '2026-11-09');

create temp table m as select * from public.traffic_aggregated_metrics;

-- A (USD): Fri 100 x 470 + Sat 50 x 470 (Friday's rate) + Mon 10 x 480.
select is((select spend_usd from m where user_id = tests.agg_user('a') and period = '30d'),
  160::numeric, 'USD account: spend_usd is the sum of spend');
select is((select spend_kzt from m where user_id = tests.agg_user('a') and period = '30d'),
  75300::numeric, 'spend_kzt = 47000 + 23500 (Saturday at Friday''s rate) + 4800');
select is((select exchange_rate from m where user_id = tests.agg_user('a') and period = '30d'),
  470.625::numeric, 'exchange_rate = 75300 / 160, the effective average');
select is((select spend_kzt from m where user_id = tests.agg_user('a') and period = 'today'),
  4800::numeric, 'today at Monday''s rate');
-- B (EUR): Sun 200 EUR (Friday's EUR 517 / USD 470 = 1.1) + Mon 100 EUR (528 / 480 = 1.1).
select is((select spend_usd from m where user_id = tests.agg_user('b') and period = '30d'),
  330::numeric, 'EUR account: 200 x 1.1 + 100 x 1.1 USD');
select is((select spend_kzt from m where user_id = tests.agg_user('b') and period = '30d'),
  156200::numeric, 'EUR account: 200 x 517 + 100 x 528 KZT');
select is((select round(exchange_rate, 12) from m
           where user_id = tests.agg_user('b') and period = '30d'),
  round(156200 / 330::numeric, 12), 'EUR account: effective USD rate 156200 / 330');
-- C (KZT): 48000 KZT on Monday = 100 USD.
select is((select spend_usd from m where user_id = tests.agg_user('c') and period = 'today'),
  100::numeric, 'KZT account: 48000 / 480 USD');
select is((select spend_kzt from m where user_id = tests.agg_user('c') and period = 'today'),
  48000::numeric, 'KZT account: spend_kzt is the spend itself');
select is((select impressions from m where user_id = tests.agg_user('c') and period = '7d'),
  10::bigint, 'a zero-spend day still counts its impressions (and needs no rate)');
-- Delivery counters.
select is((select impressions from m where user_id = tests.agg_user('a') and period = '30d'),
  16000::bigint, 'impressions summed over ads and days');
select is((select clicks from m where user_id = tests.agg_user('a') and period = '30d'),
  320::bigint, 'clicks summed');
select is((select reach from m where user_id = tests.agg_user('a') and period = '30d'),
  12900::bigint, 'reach summed (per-ad daily reach)');
select is((select count(*)::int from m where user_id = tests.agg_user('e')), 0,
  'an inactive targetologist gets no rows, and its GBP spend without a rate raises nothing');

select * from finish();
rollback;
