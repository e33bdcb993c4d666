-- The Meta-lead refresh plans per call (migration 20261207114216): a plan cached while the tables
-- were new kept reading traffic_meta_leads_by_ad (and the raw rows) with sequential scans for the
-- rest of a first sync (docs/benchmarks.md, fbsync third session). A CREATE OR REPLACE that drops
-- the setting brings that back: this fails then. fb_upsert_insights caches its plans (planning
-- every statement of a page and its triggers per call did not pay, 20261207115940). The same for
-- the attribution owners' merge of the ids a page adds (20261207143457).
begin;
select plan(3);

select is(
  (select p.proconfig from pg_proc p
   where p.oid = 'public.fb_upsert_insights(uuid, jsonb, timestamptz)'::regprocedure),
  array['search_path=""'],
  'fb_upsert_insights keeps its cached plans (only search_path is set)');
select is(
  (select p.proconfig from pg_proc p
   where p.oid = 'private.traffic_meta_leads_refresh(uuid[], text[], date[])'::regprocedure),
  array['search_path=""', 'plan_cache_mode=force_custom_plan'],
  'the Meta-lead refresh plans its statements per call');
select is(
  (select p.proconfig from pg_proc p
   where p.oid = 'private.traffic_attribution_add_ids(text[])'::regprocedure),
  array['search_path=""', 'plan_cache_mode=force_custom_plan'],
  'the attribution owners'' merge plans per call (20261207143457: a plan cached on a new '
  'directory would scan it whole per id)');

select * from finish();
rollback;
