-- traffic_daily_series(): one row per local day, zeros included; spend converted per day as the
-- aggregation does; leads and sales bucketed by their Almaty date; reversed sales left out; the
-- days add up exactly to traffic_metrics_for_range(); RLS decides (security invoker).
begin;
select plan(9);
select tests.create_fixture();

-- A (on top of the fixture's 10 USD, lead and 5000 sale on 2000-01-01): a EUR account on Jan 2,
-- a lead at 19:30 UTC on Jan 1 (00:30 on Jan 2 in Almaty), and spend before any USD rate exists.
insert into public.exchange_rates (rate_date, currency, rate_kzt, source)
values ('2000-01-01', 'EUR', 550, 'pgtap');
insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id, campaign_id, ad_id,
  stat_date, spend, account_currency, impressions, clicks)
values (tests.uid('a'), 'pgtap A', 'pgtap-eur', 'c-a', 'ad-a2', '2000-01-02', 20, 'eur', 100, 5),
       (tests.uid('a'), 'pgtap A', 'pgtap', 'c-a', 'ad-a', '1999-12-30', 0, 'USD', 7, 0),
       (tests.uid('a'), 'pgtap A', 'pgtap', 'c-a', 'ad-a', '1999-12-31', 1, 'USD', 0, 0);
insert into public.traffic_leads (amocrm_lead_id, user_id, created_at)
values (990000010, tests.uid('a'), '2000-01-01 19:30:00+00');

select tests.authenticate_as(tests.uid('a'));
select results_eq(
  $$select date, spend_usd, spend_kzt, impressions, clicks, leads, sales, revenue
    from public.traffic_daily_series('2000-01-01', '2000-01-03', 'Asia/Almaty')$$,
  $$values ('2000-01-01'::date, 10::numeric, 5000::numeric, 0::bigint, 0::bigint, 1::bigint,
      1::bigint, 5000::numeric),
    ('2000-01-02', 22, 11000, 100, 5, 1, 0, 0),
    ('2000-01-03', 0, 0, 0, 0, 0, 0, 0)$$,
  'A: own days, EUR at that day''s rates, Almaty dates, zeros on empty days');

select results_eq(
  $$select leads from public.traffic_daily_series('2000-01-01', '2000-01-02', 'UTC')$$,
  $$values (2::bigint), (0::bigint)$$,
  'in UTC the 19:30 lead stays on Jan 1');

select results_eq(
  $$select spend_usd, impressions from public.traffic_daily_series('1999-12-30', '1999-12-30')$$,
  $$values (0::numeric, 7::bigint)$$,
  'a day without spend needs no rate');

select throws_ok(
  $$select * from public.traffic_daily_series('1999-12-31', '2000-01-01')$$,
  'TS001', 'missing exchange rate: no USD rate on or before 1999-12-31',
  'a day with spend and no rate raises, as the aggregation does');

select results_eq(
  $$select sum(spend_usd), sum(spend_kzt), sum(impressions)::bigint, sum(leads)::bigint,
      sum(sales)::bigint, sum(revenue)
    from public.traffic_daily_series('2000-01-01', '2000-01-03', 'Asia/Almaty')$$,
  $$select spend_usd, spend_kzt, impressions, leads::bigint, total_sales::bigint, total_revenue
    from public.traffic_metrics_for_range('2000-01-01', '2000-01-03', 'Asia/Almaty')$$,
  'A: the days add up to traffic_metrics_for_range()');

select tests.authenticate_as(tests.uid('b'));
select results_eq(
  $$select date, spend_usd, leads, sales, revenue
    from public.traffic_daily_series('2000-01-01', '2000-01-02', 'Asia/Almaty')$$,
  $$values ('2000-01-01'::date, 20::numeric, 1::bigint, 1::bigint, 7000::numeric),
    ('2000-01-02', 0, 0, 0, 0)$$,
  'B: only B''s rows');

select is(
  (select count(*)::int from public.traffic_daily_series('2000-01-01', '2000-01-02', 'Asia/Almaty',
    tests.uid('a')) where leads > 0 or spend_usd > 0),
  0,
  'B asking for A''s series gets zeros: RLS, not the parameter, decides');

select tests.authenticate_as(tests.uid('admin'), true);
select results_eq(
  $$select sum(spend_usd), sum(spend_kzt), sum(leads)::bigint, sum(sales)::bigint, sum(revenue)
    from public.traffic_daily_series('2000-01-01', '2000-01-03', 'Asia/Almaty')$$,
  $$select spend_usd, spend_kzt, leads::bigint, total_sales::bigint, total_revenue
    from public.traffic_metrics_for_range('2000-01-01', '2000-01-03', 'Asia/Almaty')
    where user_id is null$$,
  'admin: the days add up to the team total (unattributed lead and sale included)');

select results_eq(
  $$select spend_usd, leads from public.traffic_daily_series('2000-01-02', '2000-01-02',
    'Asia/Almaty', tests.uid('a'))$$,
  $$values (22::numeric, 1::bigint)$$,
  'admin: p_user_id narrows to one targetologist');

select * from finish();
rollback;
