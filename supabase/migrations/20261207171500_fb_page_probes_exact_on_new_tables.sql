-- A page's probes of its own ad-days are exact index lookups also on tables that were never
-- analyzed (issue 11 item 4: the empty-table first sync), and the raw rows carry three fewer
-- indexes.
--
-- Why: fb_upsert_insights probes each incoming ad-day with
-- `t.user_id = i.user_id and t.ad_id = i.ad_id and t.stat_date = i.stat_date` (the statement's
-- `todo`), and the Meta-lead refresh does the same on traffic_facebook_ads_raw (`picked`) and on
-- traffic_meta_leads_by_ad (`gone`). On a table with no statistics (a new project, the bench's
-- fresh stack) every index that starts with user_id is estimated at one row for that, and the
-- planner takes the smallest: `(user_id, stat_date)`, with `ad_id` as a filter. Its plan is cached
-- (fb_upsert_insights) or made again on the same missing statistics (the refresh plans per call),
-- so once a user-day holds 500 ad rows every probe reads all of them: auto_explain of a replay of
-- the bench's 300 pages into emptied tables (dev stack, 4 writers, 2026-12-07 ~16:40 UTC) showed
-- 157 slow upserts probing `traffic_facebook_ads_raw_user_date_idx` with `Filter: (ad_id = ...)`
-- and 34-39 refreshes doing the same on either table. With ad_id as the third column of those
-- indexes the probe matches all three columns in whichever index the planner picks (EXPLAIN of a
-- generic plan on an empty and on a 30,000-row never-analyzed table; pgTAP 272). The same replay,
-- fresh PostgREST connections each run, alternating: Postgres CPU 141.8 / 86.9 / 60.2 ms a page
-- with the old indexes (it depends on when each connection cached its plan), 43.3 / 47.1 / 51.7
-- with these (docs/benchmarks.md, fbsync fifth session). Readers of (user_id, stat_date) read the
-- same prefix.
--
-- traffic_facebook_ads_raw_ad_idx, _adset_idx and _campaign_idx (single columns, from the first
-- migration) are read by no query: EXPLAIN (auto_explain, nested statements) of every reader of
-- the raw table at 2 M rows (attribution of a lead, the directory's delete path, a user's cascade
-- delete, the freshness check, traffic_campaign_metrics and traffic_api_campaigns for an admin
-- and for one targetologist, the Meta-lead settings trigger, traffic_facebook_ad_actions) used
-- only the unique key, the (user_id, …) indexes, account_actions and stat_date. Each cost every
-- inserted ad-day an index entry and a WAL record (the replay's 300 pages: 2.53-2.62 M WAL records
-- with main's indexes, 2.06-2.15 M with this migration's). stat_date stays: an admin's
-- traffic_campaign_metrics over 7 days reads it.
--
-- CREATE INDEX takes SHARE on the table while it builds (writes wait; ~seconds at 2 M rows).
create index traffic_facebook_ads_raw_user_date_ad_idx
  on public.traffic_facebook_ads_raw (user_id, stat_date, ad_id);
drop index public.traffic_facebook_ads_raw_user_date_idx;
drop index public.traffic_facebook_ads_raw_ad_idx;
drop index public.traffic_facebook_ads_raw_adset_idx;
drop index public.traffic_facebook_ads_raw_campaign_idx;

create index traffic_meta_leads_by_ad_user_date_ad_idx
  on public.traffic_meta_leads_by_ad (user_id, stat_date, ad_id);
drop index public.traffic_meta_leads_by_ad_user_date_idx;
