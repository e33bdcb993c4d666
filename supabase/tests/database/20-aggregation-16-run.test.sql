-- traffic_aggregate_metrics(): one upsert per (user, period), re-runs update in place,
-- deactivated targetologists' rows are deleted, the summary says what happened; privileges.
begin;
select plan(13);
select tests.agg_fixture();

create temp table run1 as select public.traffic_aggregate_metrics('Asia/Almaty', '2026-11-09') as r;
select is((select r ->> 'rows_written' from run1)::int, 15, '5 rows (4 members + total) x 3');
select is((select r ->> 'users' from run1)::int, 4, 'users = active targetologists');
select is((select r -> 'periods' from run1),
  '{"today": ["2026-11-09", "2026-11-09"], "7d": ["2026-11-03", "2026-11-09"],
    "30d": ["2026-10-11", "2026-11-09"]}'::jsonb, 'the periods'' dates');
select is((select r -> 'missing_rates' from run1),
  '[{"currency": "USD", "rate_date": "2026-11-07"}, {"currency": "EUR", "rate_date": "2026-11-08"},
    {"currency": "USD", "rate_date": "2026-11-08"}]'::jsonb,
  'days converted with an earlier day''s rate are reported');
select is((select (r -> 'attribution' ->> 'leads_updated')::int from run1), 8,
  'attribution ran first');

create temp table ids1 as select id, user_id, period from public.traffic_aggregated_metrics;
select public.traffic_aggregate_metrics('Asia/Almaty', '2026-11-09');
select set_eq('select id, user_id, period from public.traffic_aggregated_metrics',
  'select id, user_id, period from ids1', 'a re-run updates the same rows in place');

-- A new day: today moves, rows are updated, not added.
create temp table run2 as select public.traffic_aggregate_metrics('Asia/Almaty', '2026-11-10') as r;
select is((select count(*)::int from public.traffic_aggregated_metrics), 15, 'still 15 rows');
select is((select period_start from public.traffic_aggregated_metrics
           where user_id is null and period = 'today'), '2026-11-10'::date, 'today moved');
select is((select challenge3d_full_revenue from public.traffic_aggregated_metrics
           where user_id = tests.agg_user('a') and period = 'today'), 50000::numeric,
  'the 00:30 sale is the new day''s');

update public.traffic_targetologist_settings set is_active = false
  where user_id = tests.agg_user('d');
create temp table run3 as select public.traffic_aggregate_metrics('Asia/Almaty', '2026-11-10') as r;
select is((select (r ->> 'rows_deleted')::int from run3), 3, 'a deactivated user''s 3 rows go');
select is((select count(*)::int from public.traffic_aggregated_metrics
           where user_id = tests.agg_user('d')), 0, 'and are gone');

select ok(not has_function_privilege('authenticated',
    'public.traffic_aggregate_metrics(text, date)', 'execute')
  and not has_function_privilege('authenticated', 'public.traffic_resolve_attribution()', 'execute')
  and not has_function_privilege('authenticated',
    'public.traffic_rate_dates_needed(date, date)', 'execute')
  and not has_function_privilege('anon', 'public.get_average_exchange_rate(date, date, text)',
    'execute')
  and has_function_privilege('service_role', 'public.traffic_aggregate_metrics(text, date)',
    'execute'),
  'writers are service_role only; readers are not anon');
select is(
  (select count(*)::int from pg_proc p
   where p.pronamespace = 'public'::regnamespace
     and p.proname in ('traffic_aggregate_metrics', 'traffic_resolve_attribution',
       'traffic_rate_dates_needed', 'traffic_metrics_for_range', 'get_average_exchange_rate')
     and p.proconfig @> array['search_path=""']),
  5, 'every function pins search_path to empty');

select * from finish();
rollback;
