-- traffic_leads_daily and traffic_sales_daily stay equal to the `group by user_id, local day` of
-- traffic_leads / traffic_sales through every kind of write, and traffic_metrics_for_range() gives
-- the same numbers from them (Asia/Almaty) as from the rows (a zone with the same offset).
begin;
select plan(9);
select tests.agg_fixture();

create temp view leads_from_rows as
  select l.user_id, (l.created_at at time zone 'Asia/Almaty')::date as day, count(*)::int as leads,
    (count(*) filter (where l.product = 'challenge3d'))::int as c3d,
    (count(*) filter (where l.product = 'express'))::int as express,
    (count(*) filter (where l.product = 'intensive1d'))::int as i1d
  from public.traffic_leads l where not l.is_deleted group by 1, 2;
create temp view leads_rollup as
  select user_id, day, leads, challenge3d_leads, express_leads, intensive1d_leads
  from public.traffic_leads_daily;
create temp view sales_from_rows as
  select s.user_id, (s.sold_at at time zone 'Asia/Almaty')::date as day,
    sum(s.sale_amount) as revenue, count(*)::int as sales
  from public.traffic_sales s where s.status = 'active' group by 1, 2;
create temp view sales_rollup as
  select user_id, day,
    challenge3d_prepayment_revenue + challenge3d_full_revenue + express_revenue
      + intensive1d_revenue as revenue,
    challenge3d_prepayments + challenge3d_full_payments + express_sales + intensive1d_sales
      as sales
  from public.traffic_sales_daily;

select set_eq('select * from leads_rollup', 'select * from leads_from_rows',
  'inserted leads are in the rollup (unattributed under user_id null)');
select set_eq('select * from sales_rollup', 'select * from sales_from_rows',
  'inserted active sales are in the rollup, reversed ones not');

-- Attribution moves rows between users; deletions, reversals and re-dating follow.
select public.traffic_resolve_attribution();
update public.traffic_leads set is_deleted = true where amocrm_lead_id = 1;
update public.traffic_leads set created_at = created_at + interval '1 day', product = 'express'
  where amocrm_lead_id = 3;
update public.traffic_sales set status = 'reversed', reversed_at = now()
  where amocrm_lead_id = 101;
update public.traffic_sales set status = 'active', reversed_at = null where amocrm_lead_id = 105;
delete from public.traffic_leads where amocrm_lead_id = 7;
select set_eq('select * from leads_rollup', 'select * from leads_from_rows',
  'leads rollup after attribution, deletion flags, re-dating and deletes');
select set_eq('select * from sales_rollup', 'select * from sales_from_rows',
  'sales rollup after attribution, reversals and re-activations');

-- The rollup path and the rows path agree on every metric.
select is_empty($$
  select * from public.traffic_metrics_for_range('2026-11-03', '2026-11-09')
  except
  select * from public.traffic_metrics_for_range('2026-11-03', '2026-11-09', 'Etc/GMT-5')$$,
  'metrics from the rollups = metrics from the rows (7 days)');
select is_empty($$
  select * from public.traffic_metrics_for_range('2026-11-09', '2026-11-09')
  except
  select * from public.traffic_metrics_for_range('2026-11-09', '2026-11-09', 'Etc/GMT-5')$$,
  'and for one day');

-- A deleted user's rows become unattributed (on delete set null): the rollup follows.
delete from auth.users where id = tests.agg_user('a');
select set_eq('select * from leads_rollup', 'select * from leads_from_rows',
  'a deleted user''s leads move to user_id null');

-- The repair path rebuilds them; truncate empties them.
select is((public.traffic_rebuild_rollups() ->> 'leads_daily_rows')::int,
  (select count(*)::int from leads_from_rows), 'traffic_rebuild_rollups() rebuilds the lead rollup');
truncate public.traffic_leads, public.traffic_sales cascade;
select is((select count(*)::int from public.traffic_leads_daily)
  + (select count(*)::int from public.traffic_sales_daily), 0, 'truncate empties both');

select * from finish();
rollback;
