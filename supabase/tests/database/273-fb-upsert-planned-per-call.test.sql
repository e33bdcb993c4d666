-- fb_upsert_insights plans its page statement per call (migration 20261208004800): a plan that
-- PL/pgSQL cached on a connection's first calls is kept for the connection's life, and nothing
-- invalidates it when a table only grows. On a new project's tables (the bench's fresh stack) the
-- first calls meet a nearly empty, never-analyzed traffic_facebook_ads_raw, where every index
-- costs about the same; a connection that cached its generic plan then could keep probing later
-- pages' ad-days by traffic_facebook_ads_raw_stat_date_idx with user_id and ad_id as a filter,
-- reading every row of each day (auto_explain, docs/benchmarks.md fbsync eighth session). Which
-- index wins that tie depends on the relations' physical sizes, so this test makes the early
-- plan's shape certain by settings instead, which a cached plan does not follow either: the first
-- ten calls run with a generic plan (plan_cache_mode, kept for the re-sync: PL/pgSQL's cache
-- takes its generic plan after five calls when it costs about what the custom ones did, as the
-- bench's connections did: auto_explain showed the probe's parameters as $n) and with index scans
-- disabled; then index scans are allowed again and the table grows to 20,000 rows of another
-- user. A re-sync of 500 of them must write nothing, probe each ad-day by an index that holds
-- user_id, ad_id and stat_date, and read the raw rows by no sequential scan. On the previous
-- definition (20261207215000) the re-sync runs the plan cached in the first calls (a sequential
-- scan per ad-day): "each of the 500 ad-days was probed by an index scan" and "no sequential
-- scan" fail then, and so does the first test, which pins the mechanism (EXECUTE ... USING).
--
-- Since 20261208033700 the statement is planned per call only while the raw table is under 2 MB
-- (plan_cache_mode force_custom_plan for the statement, the caller's value restored after it)
-- and keeps PL/pgSQL's cached plan once the table is larger. So this test starts from a new
-- project's table: a TRUNCATE in this transaction gives it a new, empty file whatever rows
-- earlier tests left, and its statistics are removed (a never-analyzed table; TRUNCATE keeps
-- the old ones, which describe rows no longer there). The first test pins that mechanism. The
-- last two pin the large side: a plan is not remade when enable_indexscan changes, so the plan
-- cached at the first re-sync on the large table (index scans allowed) keeps probing by an index
-- after index scans are disabled, where a plan made per call reads the raw rows by a sequential
-- scan; on 20261208004800 (EXECUTE at every call) those two fail, and so does the first.
-- "The caller's plan_cache_mode is the same after the calls" passes on the older definitions
-- too (they never changed it).
begin;
select plan(9);

-- The mechanism: while the raw table is under 2 MB the page statement (its CTEs from `incoming`
-- to the final select) runs with plan_cache_mode = force_custom_plan, planned at each call.
select matches(
  p.prosrc,
  'if pg_relation_size\(''public\.traffic_facebook_ads_raw''::regclass\) < 2097152 then\s+'
    || 'v_mode := current_setting\(''plan_cache_mode''\);\s+'
    || 'perform set_config\(''plan_cache_mode'', ''force_custom_plan'', true\);\s+end if;\s+'
    || 'with incoming as materialized.*\s+into v_count, v_bad;',
  'fb_upsert_insights plans its page statement per call while the raw table is under 2 MB')
from pg_proc p where p.oid = 'public.fb_upsert_insights(uuid, jsonb, timestamptz)'::regprocedure;

-- A new project's table: small (a new, empty file for this transaction), never analyzed.
truncate public.traffic_facebook_ads_raw;
delete from pg_statistic where starelid = 'public.traffic_facebook_ads_raw'::regclass;

insert into auth.users (id, email, raw_app_meta_data) values
  ('00000000-0000-4000-8000-000000002731', 'fb-273-a@example.test', '{}'),
  ('00000000-0000-4000-8000-000000002732', 'fb-273-b@example.test', '{}');
insert into public.traffic_targetologist_settings (user_id, team_name, fb_ad_accounts) values
  ('00000000-0000-4000-8000-000000002731', 'team 273 a', '{act_2731}'),
  ('00000000-0000-4000-8000-000000002732', 'team 273 b', '{act_2732}');

-- A page of `p_ads` ads of account `p_account` on `p_days` days from `p_from`.
create function pg_temp.page(p_account text, p_ads int, p_from date, p_days int) returns jsonb
language sql as $$
  select jsonb_agg(jsonb_build_object(
    'account_id', p_account, 'account_name', 'acc ' || p_account, 'account_currency', 'USD',
    'campaign_id', 'c' || p_account || '_' || a / 10, 'campaign_name', 'camp',
    'adset_id', 's' || p_account || '_' || a / 10, 'adset_name', 'set',
    'ad_id', 'ad' || p_account || '_' || a, 'ad_name', 'ad', 'stat_date', p_from + d,
    'spend', a, 'impressions', 1000, 'clicks', 10, 'reach', 900,
    'actions', jsonb_build_object('lead', jsonb_build_array(a % 3, 1.5))))
  from generate_series(0, p_ads - 1) a cross join generate_series(0, p_days - 1) d
$$;

-- Index scans of the raw table's indexes in this transaction so far, by index.
create function pg_temp.scans() returns table (idx text, n bigint)
language sql as $$
  select (select c.relname::text from pg_class c where c.oid = i.indexrelid),
    pg_stat_get_xact_numscans(i.indexrelid)
  from pg_index i where i.indrelid = 'public.traffic_facebook_ads_raw'::regclass
$$;
create temporary table scans_before (idx text, n bigint);
create temporary table seq_before (n bigint);
create temporary table probed (idx text, scans bigint);

-- The first calls: a generic plan, made without index scans.
set local plan_cache_mode = force_generic_plan;
set local enable_indexscan = off;
set local enable_bitmapscan = off;
select is(
  (select sum(public.fb_upsert_insights('00000000-0000-4000-8000-000000002731',
     pg_temp.page('2731' || k, 50, date '2026-11-01' + k, 1), now()))::int
   from generate_series(1, 10) k),
  500, 'ten small pages, each written');
select is(current_setting('plan_cache_mode'), 'force_generic_plan',
  'the caller''s plan_cache_mode is the same after the calls');
reset enable_indexscan;
reset enable_bitmapscan;
delete from public.traffic_facebook_ads_raw
  where user_id = '00000000-0000-4000-8000-000000002731';

insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id, account_name,
  account_currency, campaign_id, campaign_name, adset_id, adset_name, ad_id, ad_name, stat_date,
  spend, impressions, clicks, reach, synced_at, actions, actions_synced_at)
select '00000000-0000-4000-8000-000000002732', 'team 273 b', '2732', 'acc 2732', 'USD',
  p ->> 'campaign_id', 'camp', p ->> 'adset_id', 'set', p ->> 'ad_id', 'ad',
  (p ->> 'stat_date')::date, (p ->> 'spend')::numeric, 1000, 10, 900, now() - interval '1 hour',
  p -> 'actions', now() - interval '1 hour'
from jsonb_array_elements(pg_temp.page('2732', 500, date '2026-10-01', 40)) p;

insert into scans_before select * from pg_temp.scans();
insert into seq_before
  select pg_stat_get_xact_numscans('public.traffic_facebook_ads_raw'::regclass);

select is(
  public.fb_upsert_insights('00000000-0000-4000-8000-000000002732',
    pg_temp.page('2732', 50, date '2026-10-21', 10), now()),
  0, 'a re-sync of 500 stored ad-days writes nothing');

insert into probed
  select a.idx, a.n - b.n as scans from pg_temp.scans() a join scans_before b using (idx)
  where a.n > b.n;

select is(
  (select coalesce(string_agg(idx, ', ' order by idx), '') from probed
   where idx not in ('traffic_facebook_ads_raw_user_ad_date_key',
                     'traffic_facebook_ads_raw_user_date_ad_idx')),
  '',
  'the re-sync probed no index that holds only some of user_id, ad_id and stat_date');
select cmp_ok(
  (select coalesce(sum(scans), 0) from probed)::int, '>=', 500,
  'each of the 500 ad-days was probed by an index scan');

select is(
  pg_stat_get_xact_numscans('public.traffic_facebook_ads_raw'::regclass) - (select n from seq_before),
  0::bigint, 'the re-sync read the raw rows by no sequential scan');

-- The large side: the plan cached at that re-sync is kept, also once index scans are disabled.
set local enable_indexscan = off;
set local enable_bitmapscan = off;
delete from scans_before;
delete from seq_before;
insert into scans_before select * from pg_temp.scans();
insert into seq_before
  select pg_stat_get_xact_numscans('public.traffic_facebook_ads_raw'::regclass);
select public.fb_upsert_insights('00000000-0000-4000-8000-000000002732',
  pg_temp.page('2732', 50, date '2026-10-11', 10), now());
select cmp_ok(
  (select coalesce(sum(a.n - b.n), 0) from pg_temp.scans() a join scans_before b using (idx))::int,
  '>=', 500,
  'past 2 MB the cached plan is kept: the next re-sync still probes each ad-day by an index');
select is(
  pg_stat_get_xact_numscans('public.traffic_facebook_ads_raw'::regclass) - (select n from seq_before),
  0::bigint, 'past 2 MB the cached plan is kept: no sequential scan of the raw rows');

select * from finish();
rollback;
