-- fb-ads-sync's write path plans its statements for each call (plan_cache_mode =
-- force_custom_plan on public.fb_upsert_insights, and so on the raw table's statement triggers it
-- fires, and on private.traffic_meta_leads_refresh, which the Meta-lead settings trigger and the
-- rebuild call too). Issue 11 item 4: the empty-table first sync.
--
-- Why: PL/pgSQL caches a statement's plan per connection and, after five calls, keeps a generic
-- plan when it looks no dearer than the custom ones. On a project whose tables are new (never
-- analyzed: reltuples -1) the first sync makes those plans while traffic_facebook_ads_raw and
-- traffic_meta_leads_by_ad hold a few hundred rows, and nothing invalidates them while 150,000 rows
-- arrive: the bench pauses pg_cron, and no autoanalyze ran inside a 25 s first sync. auto_explain
-- of the bench's first sync on a fresh stack (dev stack, 2026-12-07 ~11:03 UTC) showed 89 of 253
-- Meta-lead refreshes running a plan that reads traffic_meta_leads_by_ad with a sequential scan
-- and a hash join, 48 of them the raw table too, each ~2x the cost of the probing plan. Measured
-- (docs/benchmarks.md, fbsync third session): the refresh's statement 114 s -> 52 s of execution
-- time in one first sync with four writers; one connection replaying the bench's 300 pages into a
-- fresh database 48.8 -> 33.2 s of backend CPU. A custom plan costs ~1.4 ms of planning a page
-- (the upsert statement) and ~0.1 ms (the refresh); it always sees the table as it is now (the
-- planner reads the current size of a never-analyzed table).
--
-- ALTER ... SET keeps each definition as it is (20261207061238 and 20261207060204); a later
-- CREATE OR REPLACE must repeat the setting (pgTAP 216 fails otherwise).
alter function public.fb_upsert_insights(uuid, jsonb, timestamptz)
  set plan_cache_mode = force_custom_plan;
alter function private.traffic_meta_leads_refresh(uuid[], text[], date[])
  set plan_cache_mode = force_custom_plan;
