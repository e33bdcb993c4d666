-- Issue 16: the lead and sale rollups may hold several rows per (user_id, day) until folded; their
-- readers go through one summing definition each (private.traffic_leads_by_day /
-- traffic_sales_by_day), so no reader can forget to sum. Only the writers touch the tables.
begin;
select plan(4);

select tests.create_user('sums_a');
insert into public.traffic_leads_daily (user_id, day, leads, express_leads, is_delta) values
  (tests.uid('sums_a'), '2031-01-05', 2, 2, false),
  (tests.uid('sums_a'), '2031-01-05', 1, 1, true),
  (tests.uid('sums_a'), '2031-01-05', -1, -1, true),
  (null, '2031-01-05', 4, 0, true);
insert into public.traffic_sales_daily (user_id, day, express_sales, express_revenue, is_delta)
values (tests.uid('sums_a'), '2031-01-05', 1, 1000.50, false),
  (tests.uid('sums_a'), '2031-01-05', 2, 2000.25, true);
select results_eq(
  $$select coalesce(user_id::text, 'unattributed'), leads, express_leads
    from private.traffic_leads_by_day where day = '2031-01-05' order by user_id nulls last$$,
  $$values (tests.uid('sums_a')::text, 2::bigint, 2::bigint), ('unattributed', 4, 0)$$,
  'the lead view is the sum of a day''s rows, delta rows included, per (user_id, day)');
select results_eq(
  $$select express_sales, express_revenue from private.traffic_sales_by_day
    where user_id = tests.uid('sums_a') and day = '2031-01-05'$$,
  $$values (3::bigint, 3000.75::numeric)$$,
  'the sale view is the sum of a day''s rows, delta rows included');

-- Structure: outside the writers (triggers, fold, rebuild, truncate; and the list of the per-day
-- totals' sources, 20261207113500, whose rebuild sums every row of a key), no function body names
-- the tables (comments aside), and the only views over them are the two summing views.
select is(
  (select array_agg(p.proname::text order by p.proname) from pg_proc p
    where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
      and regexp_replace(p.prosrc, '--[^\n]*', '', 'g') ~ 'traffic_(leads|sales)_daily\M'),
  array['traffic_day_totals_sources', 'traffic_fold_daily_rollups', 'traffic_leads_daily_sync',
    'traffic_leads_sales_daily_truncate', 'traffic_rebuild_leads_sales_daily',
    'traffic_sales_daily_sync'],
  'only the rollups'' writers read the lead / sale rollup tables; readers use the summing views');
select is(
  (select array_agg(distinct v.relname::text order by v.relname::text)
   from pg_depend d
   join pg_rewrite r on r.oid = d.objid
   join pg_class v on v.oid = r.ev_class
   where d.classid = 'pg_rewrite'::regclass
     and d.refobjid in ('public.traffic_leads_daily'::regclass,
                        'public.traffic_sales_daily'::regclass)
     and v.oid not in ('public.traffic_leads_daily'::regclass,
                       'public.traffic_sales_daily'::regclass)),
  array['traffic_leads_by_day', 'traffic_sales_by_day'],
  'the only views over them are the summing views');

select * from finish();
rollback;
