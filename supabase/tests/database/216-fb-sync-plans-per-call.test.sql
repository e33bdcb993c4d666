-- fb-ads-sync's write path plans per call (migration 20261207114216): a plan cached while the
-- tables were new kept reading traffic_meta_leads_by_ad (and the raw rows) with sequential scans
-- for the rest of a first sync (docs/benchmarks.md, fbsync third session). A CREATE OR REPLACE of
-- either function that drops the setting brings that back: these fail then.
begin;
select plan(2);

select is(
  (select p.proconfig from pg_proc p
   where p.oid = 'public.fb_upsert_insights(uuid, jsonb, timestamptz)'::regprocedure),
  array['search_path=""', 'plan_cache_mode=force_custom_plan'],
  'fb_upsert_insights (and the raw-table triggers it fires) plans its statements per call');
select is(
  (select p.proconfig from pg_proc p
   where p.oid = 'private.traffic_meta_leads_refresh(uuid[], text[], date[])'::regprocedure),
  array['search_path=""', 'plan_cache_mode=force_custom_plan'],
  'the Meta-lead refresh plans its statements per call');

select * from finish();
rollback;
