-- Leads and sales are counted on their local day in Asia/Almaty (UTC+5): 19:00 UTC is already
-- the next day; a sale at 23:30 belongs to its day, one at 00:30 to the next.
begin;
select plan(14);
select tests.agg_fixture();
select public.traffic_aggregate_metrics('Asia/Almaty', '2026-11-09');

create temp table a_today as
  select * from public.traffic_aggregated_metrics
  where user_id = tests.agg_user('a') and period = 'today';
create temp table a_7d as
  select * from public.traffic_aggregated_metrics
  where user_id = tests.agg_user('a') and period = '7d';

select is((select period_start from a_today), '2026-11-09'::date, 'today starts today');
select is((select period_end from a_today), '2026-11-09'::date, 'today ends today');
select is((select period_start from a_7d), '2026-11-03'::date, '7d = today-6 .. today');
-- Leads today: 2026-11-08 19:00Z (00:00 local) and 2026-11-09 18:30Z (23:30 local); not
-- 2026-11-08 18:59:59Z (23:59:59 local, yesterday), not 2026-11-09 19:30Z (tomorrow), not deleted.
select is((select leads from a_today), 2, 'today: leads at 00:00 and 23:30 local only');
select is((select challenge3d_leads from a_today), 1, 'today: the 00:00 lead is challenge3d');
select is((select intensive1d_leads from a_today), 1, 'today: the 23:30 lead is intensive1d');
select is((select leads from a_7d), 4, '7d: + yesterday 23:59:59 + Friday (utm_source)');
-- Sales today: prepayment 10000 at 23:30 local and express 20000 at 00:30 local (sold
-- 2026-11-08 19:30Z); the full payment at 00:30 tomorrow is not today's.
select is((select challenge3d_prepayments from a_today), 1, 'today: the 23:30 sale counts');
select is((select challenge3d_full_payments from a_today), 0,
  'today: the sale at 00:30 tomorrow does not');
select is((select express_sales from a_today), 1, 'today: the sale at 00:30 today counts');
select is((select total_revenue from a_today), 30000::numeric, 'today: 10000 + 20000 KZT');
select is((select challenge3d_full_revenue from a_7d), 40000::numeric,
  '7d: the Sunday 23:30 full payment, not the reversed one, not tomorrow''s');
select is((select total_revenue from a_7d), 100000::numeric,
  '7d: 10000 + 40000 + 20000 + 30000 KZT');

-- Another zone moves the boundaries: in UTC, 2026-11-08 19:00Z is Sunday and 19:30Z is Monday.
select is((select leads from public.traffic_metrics_for_range('2026-11-09', '2026-11-09', 'UTC')
           where user_id = tests.agg_user('a')), 2,
  'UTC today: the 18:30Z and 19:30Z leads, not 2026-11-08 19:00Z');

select * from finish();
rollback;
