-- fb_upsert_insights keeps PL/pgSQL's cached plan of its page statement once
-- traffic_facebook_ads_raw is past 2 MB, and plans it at every call only while the table is
-- smaller (migration 20261208030800; 20261208004800 planned it at every call at any size, which
-- cost the volume re-runs' pages their planning). The small-table side, a plan made on a tiny
-- table and kept, is pinned by 273; this file pins the large side and that the caller's
-- plan_cache_mode survives a call.
--
-- How a cached plan is told from one made per call: a plan is not remade when enable_indexscan
-- changes, so a generic plan made while index scans were allowed keeps probing each ad-day by an
-- index after they are disabled, where a plan made at that call reads the raw rows by a
-- sequential scan. On the previous definition (20261208004800) "each of the 500 ad-days was
-- probed by an index scan" and "no sequential scan" fail (the EXECUTE plans the re-sync with
-- index scans disabled), and so does the first test (its text); "the caller's plan_cache_mode is
-- the same after a call on a small table" passes on it too (it never changed the setting).
begin;
select plan(6);

select ok(
  p.prosrc ~ 'if pg_relation_size\(''public\.traffic_facebook_ads_raw''::regclass\) < 2097152 then'
    and p.prosrc ~ 'set_config\(''plan_cache_mode'', ''force_custom_plan'', true\)'
    and p.prosrc !~* 'execute \$stmt\$',
  'fb_upsert_insights runs its page statement as static SQL, planned per call only below 2 MB')
from pg_proc p where p.oid = 'public.fb_upsert_insights(uuid, jsonb, timestamptz)'::regprocedure;

insert into auth.users (id, email, raw_app_meta_data) values
  ('00000000-0000-4000-8000-000000002761', 'fb-276-a@example.test', '{}'),
  ('00000000-0000-4000-8000-000000002762', 'fb-276-b@example.test', '{}');
insert into public.traffic_targetologist_settings (user_id, team_name, fb_ad_accounts) values
  ('00000000-0000-4000-8000-000000002761', 'team 276 a', '{act_2761}'),
  ('00000000-0000-4000-8000-000000002762', 'team 276 b', '{act_2762}');

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

-- Index scans of the raw table's indexes in this transaction so far.
create function pg_temp.index_scans() returns bigint
language sql as $$
  select sum(pg_stat_get_xact_numscans(i.indexrelid))::bigint
  from pg_index i where i.indrelid = 'public.traffic_facebook_ads_raw'::regclass
$$;
create temporary table before (idx bigint, seq bigint);

-- A small table (a new file: the rows other tests left are out of this transaction's view
-- and the file's length is what the function reads).
truncate public.traffic_facebook_ads_raw;
set local plan_cache_mode = force_generic_plan;
select is(
  public.fb_upsert_insights('00000000-0000-4000-8000-000000002761',
    pg_temp.page('2761', 50, date '2026-11-01', 1), now()),
  50, 'a page on a small table is written');
select is(current_setting('plan_cache_mode'), 'force_generic_plan',
  'the caller''s plan_cache_mode is the same after a call on a small table');

-- Past 2 MB: 20,000 ad-days of another user (~5 MB).
insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id, account_name,
  account_currency, campaign_id, campaign_name, adset_id, adset_name, ad_id, ad_name, stat_date,
  spend, impressions, clicks, reach, synced_at, actions, actions_synced_at)
select '00000000-0000-4000-8000-000000002762', 'team 276 b', '2762', 'acc 2762', 'USD',
  p ->> 'campaign_id', 'camp', p ->> 'adset_id', 'set', p ->> 'ad_id', 'ad',
  (p ->> 'stat_date')::date, (p ->> 'spend')::numeric, 1000, 10, 900, now() - interval '1 hour',
  p -> 'actions', now() - interval '1 hour'
from jsonb_array_elements(pg_temp.page('2762', 500, date '2026-10-01', 40)) p;

-- The first re-sync on the large table makes the generic plan (index scans allowed) ...
select is(
  public.fb_upsert_insights('00000000-0000-4000-8000-000000002762',
    pg_temp.page('2762', 50, date '2026-10-21', 10), now()),
  0, 'a re-sync of 500 stored ad-days writes nothing');

-- ... and the next one, with index scans disabled, still runs it.
set local enable_indexscan = off;
set local enable_bitmapscan = off;
insert into before select pg_temp.index_scans(),
  pg_stat_get_xact_numscans('public.traffic_facebook_ads_raw'::regclass);
select public.fb_upsert_insights('00000000-0000-4000-8000-000000002762',
  pg_temp.page('2762', 50, date '2026-10-11', 10), now());
select cmp_ok(pg_temp.index_scans() - (select idx from before), '>=', 500::bigint,
  'each of the 500 ad-days was probed by an index scan (the plan cached on the large table)');
select is(
  pg_stat_get_xact_numscans('public.traffic_facebook_ads_raw'::regclass) - (select seq from before),
  0::bigint, 'the re-sync read the raw rows by no sequential scan');

select * from finish();
rollback;
