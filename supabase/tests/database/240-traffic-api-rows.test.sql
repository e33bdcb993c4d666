-- What traffic-api serves, shaped in SQL (migration 20261202200300): money rounded once to its
-- unit (2 places, half away from zero) and ratios to 4, as exact text; RLS still decides through
-- the security-invoker view and functions.
begin;
select plan(9);
select tests.create_fixture();
-- Only the fixture's team total: the test stack's pg_cron aggregate-metrics job (*/10) may have
-- stored the other periods' totals before this file runs.
delete from public.traffic_aggregated_metrics where user_id is null and period <> '30d';

update public.traffic_aggregated_metrics
set spend_usd = 487.9999999999999999, spend_kzt = 10.125, total_revenue = 100000,
  roas = 2.17345, ctr = 0.00004, exchange_rate = 478.123456789, cpa_usd = null
where user_id = tests.uid('a') and period = '30d';

select tests.authenticate_as(tests.uid('a'));
select results_eq(
  $$select spend_usd, spend_kzt, total_revenue, roas, ctr, exchange_rate, cpa_usd
    from public.traffic_api_metrics where period = '30d'$$,
  $$values ('488.00', '10.13', '100000.00', '2.1735', '0.0000', '478.1235', null::text)$$,
  'money to 2 places, ratios to 4, half away from zero, null stays null');
select is(
  (select count(*)::int from public.traffic_api_metrics
   where user_id is distinct from tests.uid('a')),
  0, 'a targetologist sees only their own rows through the view');

select tests.authenticate_as(tests.uid('admin'), true);
select ok(
  -- (30d: the fixture's team row; an aggregate-metrics run of the stack may have stored others)
  (select count(*) from public.traffic_api_metrics where user_id is null and period = '30d') = 1,
  'an admin sees the team total through the view');

select tests.authenticate_as(tests.uid('a'));
select results_eq(
  $$select date, spend_usd, spend_kzt, revenue
    from public.traffic_api_daily('2000-01-01', '2000-01-01', 'Asia/Almaty')$$,
  $$values ('2000-01-01'::date, '10.00', '5000.00', '5000.00')$$,
  'traffic_api_daily: the series with money as 2-place text');
select results_eq(
  $$select spend_usd, spend_kzt, total_revenue, roas
    from public.traffic_api_metrics_range('2000-01-01', '2000-01-01', 'Asia/Almaty')$$,
  $$select round(spend_usd, 2)::text, round(spend_kzt, 2)::text, round(total_revenue, 2)::text,
      round(roas, 4)::text
    from public.traffic_metrics_for_range('2000-01-01', '2000-01-01', 'Asia/Almaty')$$,
  'traffic_api_metrics_range: traffic_metrics_for_range rounded at the edge');
select results_eq(
  $$select campaign_id, spend_usd, roas from public.traffic_api_campaigns('2000-01-01',
      '2000-01-01', 'Asia/Almaty', 'campaign', null)$$,
  $$select campaign_id, round(spend_usd, 2)::text, round(roas, 4)::text
    from public.traffic_campaign_metrics('2000-01-01', '2000-01-01', 'Asia/Almaty', 'campaign',
      null)$$,
  'traffic_api_campaigns: traffic_campaign_metrics rounded, same rows in the same order');

select ok(
  (select bool_and('plan_cache_mode=force_custom_plan' = any(proconfig))
   from pg_proc where oid in ('public.traffic_daily_series(date, date, text, uuid)'::regprocedure,
     'private.traffic_campaign_metrics_top(date, date, text, text, uuid, bigint)'::regprocedure)),
  'daily series and campaign metrics plan each call for its own caller (no cached generic plan)');

reset role;
select tests.authenticate_as_anon();
select throws_ok(
  $$select * from public.traffic_api_metrics$$, '42501', null,
  'anon cannot read the view');
reset role;
select is(
  (select count(*)::int from pg_views
   where schemaname = 'public' and viewname = 'traffic_api_metrics'
     and definition like '%traffic_aggregated_metrics%'),
  1, 'the view reads traffic_aggregated_metrics');

select * from finish();
rollback;
