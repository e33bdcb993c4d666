-- Every table in the exposed schema has row level security on.
begin;
select plan(2);

select is(
  (select array_agg(c.relname::text order by c.relname) from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
      and not c.relrowsecurity),
  null,
  'no table in public has RLS off');

select cmp_ok(
  (select count(*)::int from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
      and c.relname in ('traffic_targetologist_settings', 'traffic_facebook_ads_raw',
        'traffic_leads', 'traffic_sales', 'traffic_amocrm_events', 'traffic_amocrm_pipelines',
        'exchange_rates', 'traffic_aggregated_metrics', 'traffic_sync_history',
        'traffic_sync_locks')),
  '=', 10, 'all ten tables exist');

select * from finish();
rollback;
