-- A fold of the delta rollups (private.traffic_fold_daily_rollups, pg_cron traffic-fold-rollups)
-- changes no number, so it leaves no mark in private.traffic_aggregate_dirty and the next
-- aggregation run computes nothing. A write before or after the fold in the same transaction is
-- still marked, and the stored rows still equal the full recompute.
begin;
select plan(8);
select tests.agg_fixture();

create temp view agg_stored as select * from tests.agg_stored_rows() as r;
create temp view agg_expected as select * from tests.agg_expected_rows('2026-11-09') as r;

create temp table run0 as select public.traffic_aggregate_metrics('Asia/Almaty', '2026-11-09');
-- New leads of A and B and a sale of A, today and earlier in the window, and an unattributed
-- lead: delta rows, marked by their own statements and consumed by the run below.
insert into public.traffic_leads (amocrm_lead_id, product, utm_source, utm_content, created_at)
values (990801, 'express', 'facebook', 'ad-a1', '2026-11-09 06:00+00'),
       (990802, 'challenge3d', 'facebook', 'ad-b1', '2026-11-08 06:00+00'),
       (990803, 'express', 'nobody', null, '2026-11-09 07:00+00');
insert into public.traffic_sales (amocrm_lead_id, product, sale_type, sale_amount, sold_at,
  utm_source, utm_content)
values (990801, 'express', 'full', 12000, '2026-11-09 08:00+00', 'facebook', 'ad-a1');
create temp table run1 as select public.traffic_aggregate_metrics('Asia/Almaty', '2026-11-09');
select ok((select count(*) from public.traffic_leads_daily where is_delta) > 0
  and (select count(*) from public.traffic_sales_daily where is_delta) > 0,
  'the writes left delta rows in both rollups');
select is((select count(*)::int from private.traffic_aggregate_dirty), 0,
  'the run consumed every mark');

create temp table fold1 as select private.traffic_fold_daily_rollups() as r;
select ok((select (r ->> 'leads_keys_folded')::int > 0 and (r ->> 'sales_keys_folded')::int > 0
  from fold1), 'the fold folded lead and sale keys');
select is((select count(*)::int from private.traffic_aggregate_dirty), 0,
  'the fold left no mark: no number changed');
select is((select r ->> 'mode' || ' ' || (r ->> 'users_recomputed') || ' ' || (r ->> 'rows_written')
  from (select public.traffic_aggregate_metrics('Asia/Almaty', '2026-11-09') as r) x),
  'incremental 0 0', 'the run after the fold computes nothing');

-- A write before the fold and one after it, in the fold's transaction: both stay marked (as
-- unattributed rows of their days until the run's attribution finds their teams).
insert into public.traffic_leads (amocrm_lead_id, product, utm_source, utm_content, created_at)
values (990804, 'intensive1d', 'facebook', 'ad-a1', '2026-11-09 09:00+00');
create temp table fold2 as select private.traffic_fold_daily_rollups();
insert into public.traffic_sales (amocrm_lead_id, product, sale_type, sale_amount, sold_at,
  utm_source, utm_content)
values (990802, 'challenge3d', 'prepayment', 5000, '2026-11-07 09:00+00', 'facebook', 'ad-b1');
select set_eq('select user_id, first_day, last_day, full_run from private.traffic_aggregate_dirty',
  $$values (null::uuid, '2026-11-09'::date, '2026-11-09'::date, false),
           (null, '2026-11-07', '2026-11-07', false)$$,
  'a write before the fold and one after it in the same transaction are both marked');
select is((select r ->> 'mode' || ' ' || (r ->> 'users_recomputed')
  from (select public.traffic_aggregate_metrics('Asia/Almaty', '2026-11-09') as r) x),
  'incremental 2', 'the next run recomputes those two teams');
select set_eq('select r from agg_stored', 'select r from agg_expected',
  'every stored row equals traffic_metrics_for_range of its period');

select * from finish();
rollback;
