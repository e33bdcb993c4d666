-- The team total row (user_id null) equals the sum of the members plus unattributed leads and
-- sales, in every period; only admins and service callers see it; RLS limits a targetologist to
-- their own row when the dashboard calls traffic_metrics_for_range() with their JWT.
begin;
select plan(12);
select tests.agg_fixture();
select public.traffic_aggregate_metrics('Asia/Almaty', '2026-11-09');

create temp table m as select * from public.traffic_aggregated_metrics;
grant select on m to authenticated, service_role;
create temp table parts as
  select period, spend_usd, spend_kzt, impressions, clicks, reach, leads, challenge3d_leads,
    express_leads, intensive1d_leads, challenge3d_prepayments, challenge3d_prepayment_revenue,
    challenge3d_full_payments, challenge3d_full_revenue, challenge3d_revenue, express_sales,
    express_revenue, intensive1d_sales, intensive1d_revenue, total_revenue, total_sales
  from m where user_id is not null
  union all
  -- unattributed: lead 8 (today, challenge3d) and sale 108 (today, express 5000)
  select p, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 5000, 0, 0, 5000, 1
  from unnest(array['today', '7d', '30d']) as p;

select set_eq(
  $$select period, spend_usd, spend_kzt, impressions, clicks, reach, leads, challenge3d_leads,
      express_leads, intensive1d_leads, challenge3d_prepayments, challenge3d_prepayment_revenue,
      challenge3d_full_payments, challenge3d_full_revenue, challenge3d_revenue, express_sales,
      express_revenue, intensive1d_sales, intensive1d_revenue, total_revenue, total_sales
    from m where user_id is null$$,
  $$select period, sum(spend_usd) as a, sum(spend_kzt) as b, sum(impressions) as c,
      sum(clicks) as d, sum(reach) as e, sum(leads) as f, sum(challenge3d_leads) as g,
      sum(express_leads) as h, sum(intensive1d_leads) as i, sum(challenge3d_prepayments) as j,
      sum(challenge3d_prepayment_revenue) as k, sum(challenge3d_full_payments) as l,
      sum(challenge3d_full_revenue) as m, sum(challenge3d_revenue) as n,
      sum(express_sales) as o, sum(express_revenue) as p, sum(intensive1d_sales) as q,
      sum(intensive1d_revenue) as r, sum(total_revenue) as s, sum(total_sales) as t
    from parts group by period$$,
  'every period: total = sum of members + unattributed, column by column');
select results_eq(
  $$select team_name, spend_usd, spend_kzt, leads, total_sales, total_revenue, unattributed_leads
    from m where user_id is null and period = '30d'$$,
  $$values ('All teams', 590::numeric, 279500::numeric, 6, 6, 120000::numeric, 1)$$,
  '30d total by hand: 160+330+100 USD, 75300+156200+48000 KZT, 4+1+1 leads, 4+1+1 sales');
select is((select roas from m where user_id is null and period = '30d'),
  120000 / 279500::numeric, 'the total''s ratios come from its sums');
select is((select count(*)::int from m where user_id is not null and unattributed_leads <> 0), 0,
  'member rows carry no unattributed leads');
select is((select count(*)::int from m), 15, '4 active members + total, x 3 periods');

-- As targetologist A (the dashboard with A's JWT): A's row only, no total.
select set_config('role', 'authenticated', true);
select set_config('request.jwt.claims', json_build_object('sub', tests.agg_user('a'),
  'role', 'authenticated', 'app_metadata', '{}'::json)::text, true);
select results_eq(
  $$select user_id, spend_usd, leads from public.traffic_metrics_for_range('2026-11-03',
    '2026-11-09')$$,
  $$values (tests.agg_user('a'), 160::numeric, 4)$$,
  'a targetologist gets exactly their own row (RLS), no team total');
select is((select count(*)::int from public.traffic_aggregated_metrics), 3,
  'and reads only their own stored rows');

-- As an admin: every member and the total.
select set_config('request.jwt.claims', json_build_object('sub', tests.agg_user('f'),
  'role', 'authenticated', 'app_metadata', '{"traffic_role": "admin"}'::json)::text, true);
select is((select count(*)::int from public.traffic_metrics_for_range('2026-11-03', '2026-11-09')),
  5, 'an admin gets every member and the total');
select is((select total_revenue from public.traffic_metrics_for_range('2026-11-03', '2026-11-09')
           where user_id is null),
  (select total_revenue from m where user_id is null and period = '7d'),
  'the admin''s total equals the stored 7d total');
select is((select period from public.traffic_metrics_for_range('2026-11-03', '2026-11-09')
           limit 1), 'custom', 'an ad-hoc range is labelled custom');

-- As the service role.
select set_config('role', 'service_role', true);
select set_config('request.jwt.claims', '{"role": "service_role"}', true);
select is((select count(*)::int from public.traffic_metrics_for_range('2026-11-09', '2026-11-09')),
  5, 'the service role gets every member and the total');

-- Anon may not call it.
select set_config('role', 'anon', true);
select set_config('request.jwt.claims', '{"role": "anon"}', true);
select throws_ok($$select * from public.traffic_metrics_for_range('2026-11-09', '2026-11-09')$$,
  '42501', null, 'anon cannot call traffic_metrics_for_range');

select * from finish();
rollback;
