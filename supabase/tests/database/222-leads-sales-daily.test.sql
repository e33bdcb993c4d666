-- traffic_leads_daily and traffic_sales_daily stay equal to the `group by user_id, local day` of
-- traffic_leads / traffic_sales through every kind of write, and traffic_metrics_for_range() gives
-- the same numbers from them (Asia/Almaty) as from the rows (a zone with the same offset). A key's
-- rollup is the SUM of its rows: writes append delta rows (touching no existing row, so concurrent
-- webhooks never share a row lock) and private.traffic_fold_daily_rollups() compacts them exactly.
-- The checks of single rollup rows (deltas left, rows per key, ctids) look at this file's own
-- days only: other transactions (pg_cron traffic-fold-rollups, a webhook drain) may commit rollup
-- rows of other keys meanwhile, and READ COMMITTED statements see them.
begin;
select plan(18);
select tests.agg_fixture();

create temp view leads_from_rows as
  select l.user_id, (l.created_at at time zone 'Asia/Almaty')::date as day, count(*)::int as leads,
    (count(*) filter (where l.product = 'challenge3d'))::int as c3d,
    (count(*) filter (where l.product = 'express'))::int as express,
    (count(*) filter (where l.product = 'intensive1d'))::int as i1d
  from public.traffic_leads l where not l.is_deleted group by 1, 2;
create temp view leads_rollup as
  select user_id, day, sum(leads)::int as leads, sum(challenge3d_leads)::int as c3d,
    sum(express_leads)::int as express, sum(intensive1d_leads)::int as i1d
  from public.traffic_leads_daily group by 1, 2
  having sum(leads) <> 0 or sum(challenge3d_leads) <> 0 or sum(express_leads) <> 0
    or sum(intensive1d_leads) <> 0;
create temp view sales_from_rows as
  select s.user_id, (s.sold_at at time zone 'Asia/Almaty')::date as day,
    sum(s.sale_amount) as revenue, count(*)::int as sales
  from public.traffic_sales s where s.status = 'active' group by 1, 2;
create temp view sales_rollup as
  select user_id, day,
    sum(challenge3d_prepayment_revenue + challenge3d_full_revenue + express_revenue
      + intensive1d_revenue) as revenue,
    sum(challenge3d_prepayments + challenge3d_full_payments + express_sales
      + intensive1d_sales)::int as sales
  from public.traffic_sales_daily group by 1, 2
  having sum(challenge3d_prepayments + challenge3d_full_payments + express_sales
    + intensive1d_sales) <> 0;

-- The fixture's days, and the day after each (a lead is re-dated by one day below).
create temp table own_days as
  select day from leads_from_rows union select day from sales_from_rows
  union select day + 1 from leads_from_rows;

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

-- A fold leaves one row per key, no delta, nothing summing to zero, and the same sums.
select private.traffic_fold_daily_rollups();
select is((select count(*)::int from public.traffic_leads_daily
    where is_delta and day in (select day from own_days))
  + (select count(*)::int from public.traffic_sales_daily
    where is_delta and day in (select day from own_days)), 0,
  'after a fold no delta row is left');
select is_empty($$select user_id, day from public.traffic_leads_daily
  where day in (select day from own_days) group by 1, 2 having count(*) > 1
  union all
  select user_id, day from public.traffic_sales_daily
  where day in (select day from own_days) group by 1, 2 having count(*) > 1$$,
  'after a fold each (user_id, day) has one row');
select is_empty($$select 1 from public.traffic_leads_daily where leads = 0
  and challenge3d_leads = 0 and express_leads = 0 and intensive1d_leads = 0
  and day in (select day from own_days) union all
  select 1 from public.traffic_sales_daily where challenge3d_prepayments = 0
  and challenge3d_full_payments = 0 and express_sales = 0 and intensive1d_sales = 0
  and day in (select day from own_days)$$,
  'a key whose deltas sum to zero is gone after the fold');
select set_eq('select * from leads_rollup', 'select * from leads_from_rows',
  'the folded lead rollup equals the rows');
select set_eq('select * from sales_rollup', 'select * from sales_from_rows',
  'the folded sales rollup equals the rows');

-- A new lead of an existing (user_id, day) appends a delta: the folded row is not touched (no
-- shared row lock between concurrent webhooks), and the sums still agree.
create temp table before_ctids as
  select ctid::text as c from public.traffic_leads_daily where day in (select day from own_days);
insert into public.traffic_leads (amocrm_lead_id, product, created_at, is_deleted)
select 990000 + g, 'express', (select min(created_at) from public.traffic_leads), false
from generate_series(1, 2) g;
select set_eq('select ctid::text as c from public.traffic_leads_daily where not is_delta
    and day in (select day from own_days)',
  'select c from before_ctids', 'an insert leaves every folded row as it was');
select is((select count(*)::int from public.traffic_leads_daily
    where is_delta and day in (select day from own_days)), 1,
  'and appends one delta row for the statement''s one (user_id, day)');
select set_eq('select * from leads_rollup', 'select * from leads_from_rows',
  'the rollup with unfolded deltas equals the rows');

-- A deleted user's rows become unattributed (on delete set null): the rollup follows.
delete from auth.users where id = tests.agg_user('a');
select set_eq('select * from leads_rollup', 'select * from leads_from_rows',
  'a deleted user''s leads move to user_id null');

-- The repair path rebuilds them; truncate empties them.
select is((public.traffic_rebuild_rollups() ->> 'leads_daily_rows')::int,
  (select count(*)::int from leads_from_rows), 'traffic_rebuild_rollups() rebuilds the lead rollup');
select is((select count(*)::int from cron.job where jobname = 'traffic-fold-rollups'
  and schedule = '* * * * *' and active), 1, 'pg_cron folds the deltas every minute');
truncate public.traffic_leads, public.traffic_sales cascade;
select is((select count(*)::int from public.traffic_leads_daily)
  + (select count(*)::int from public.traffic_sales_daily), 0, 'truncate empties both');

select * from finish();
rollback;
