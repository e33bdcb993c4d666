-- fb_upsert_insights caches its plans again (plan_cache_mode back to the default); the Meta-lead
-- refresh keeps planning per call (20261207114216).
--
-- Why: with the setting on fb_upsert_insights every statement of the page and of the raw table's
-- triggers was planned per page. The benchmark on 20261207114216 (docs/benchmarks.md, fbsync third
-- session, load 3-5) gave no gain on the empty-table first sync (38.2 s of Postgres CPU against
-- 37.2 s on the quiet run of the old code) and 30.3 s against 21.7 s at a year's volume. The only
-- plan seen going wrong on new tables was the refresh's (sequential scans of
-- traffic_meta_leads_by_ad and the raw rows, cached while they were nearly empty).
alter function public.fb_upsert_insights(uuid, jsonb, timestamptz) reset plan_cache_mode;
