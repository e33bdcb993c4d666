-- traffic_spend_daily and private.traffic_ad_directory stay equal to what they summarise of
-- traffic_facebook_ads_raw through inserts, upserts, currency changes, deletes and truncate.
begin;
select plan(15);
select tests.agg_fixture();

create temp view rollup_from_raw as
  select r.user_id, r.stat_date, upper(r.account_currency) as account_currency,
    sum(r.spend) as spend,
    sum(r.impressions)::bigint as impressions, sum(r.clicks)::bigint as clicks,
    sum(r.reach)::bigint as reach, count(*)::int as ad_rows
  from public.traffic_facebook_ads_raw r group by 1, 2, 3;
create temp view directory_from_raw as
  select distinct r.user_id, r.ad_id, coalesce(r.adset_id, '') as adset_id,
    coalesce(r.campaign_id, '') as campaign_id
  from public.traffic_facebook_ads_raw r;
create temp view rollup as
  select user_id, stat_date, account_currency, spend, impressions, clicks, reach, ad_rows
  from public.traffic_spend_daily;

select set_eq('select * from rollup', 'select * from rollup_from_raw',
  'after inserts: rollup = raw');
select set_eq('select user_id, ad_id, adset_id, campaign_id from private.traffic_ad_directory',
  'select * from directory_from_raw', 'after inserts: directory = raw');

-- fb-ads-sync's re-sync: an upsert that changes some rows and leaves others as they were.
insert into public.traffic_facebook_ads_raw as t (user_id, team_name, account_id, campaign_id,
  adset_id, ad_id, stat_date, spend, account_currency, impressions, clicks, reach)
values (tests.agg_user('a'), 'Alpha', 'act_a', 'c-a1', 'as-a1', 'ad-a1', '2026-11-06', 65.5, 'USD',
    6100, 121, 5001),
  (tests.agg_user('a'), 'Alpha', 'act_a', 'c-a1', 'as-a1', 'ad-a2', '2026-11-06', 40, 'USD', 4000,
    80, 3000),
  (tests.agg_user('a'), 'Alpha', 'act_a', 'c-a9', null, 'ad-a9', '2026-11-08', 7.25, 'usd', 10, 1,
    10)
on conflict (user_id, ad_id, stat_date) do update set spend = excluded.spend,
  impressions = excluded.impressions, clicks = excluded.clicks, reach = excluded.reach;
select set_eq('select * from rollup', 'select * from rollup_from_raw', 'after an upsert');
select is((select spend from public.traffic_spend_daily where user_id = tests.agg_user('a')
           and stat_date = '2026-11-06'), 105.5::numeric, 'Friday: 65.5 + 40 exactly');
select is((select ad_rows from public.traffic_spend_daily where user_id = tests.agg_user('a')
           and stat_date = '2026-11-06'), 2, 'still two ad rows');
select set_eq('select user_id, ad_id, adset_id, campaign_id from private.traffic_ad_directory',
  'select * from directory_from_raw', 'the new ad (no adset) is in the directory');

-- A row moves to another currency group; a whole day is deleted.
update public.traffic_facebook_ads_raw set account_currency = 'EUR'
  where user_id = tests.agg_user('a') and ad_id = 'ad-a9';
delete from public.traffic_facebook_ads_raw
  where user_id = tests.agg_user('b') and stat_date = '2026-11-08';
select set_eq('select * from rollup', 'select * from rollup_from_raw',
  'after a currency change and a delete');
select is((select count(*)::int from public.traffic_spend_daily where user_id = tests.agg_user('b')
           and stat_date = '2026-11-08'), 0, 'an emptied day leaves no row');
delete from public.traffic_facebook_ads_raw where ad_id = 'ad-a9';
select set_eq('select user_id, ad_id, adset_id, campaign_id from private.traffic_ad_directory',
  'select * from directory_from_raw', 'a deleted ad leaves the directory');

-- What a targetologist may read.
select set_config('role', 'authenticated', true);
select set_config('request.jwt.claims', json_build_object('sub', tests.agg_user('c'),
  'role', 'authenticated', 'app_metadata', '{}'::json)::text, true);
select is((select count(distinct user_id)::int from public.traffic_spend_daily), 1,
  'a targetologist reads only their own daily spend');
reset role;

-- Rows written with triggers off put the rollups out of step; the rebuild repairs them.
set local session_replication_role = replica;
update public.traffic_facebook_ads_raw set spend = spend + 1, ad_id = ad_id || '-x'
  where user_id = tests.agg_user('c');
set local session_replication_role = origin;
select ok((select count(*) from (select * from rollup except select * from rollup_from_raw) d) > 0,
  'written with triggers off: out of step');
select public.traffic_rebuild_rollups();
select ok(
  (select count(*) from (select * from rollup except select * from rollup_from_raw) d) = 0
  and (select count(*) from (select user_id, ad_id, adset_id, campaign_id
                             from private.traffic_ad_directory
                             except select * from directory_from_raw) d) = 0,
  'traffic_rebuild_rollups() puts both back in step');

-- Deleting a user cascades to their raw rows; the triggers must not re-create anything.
delete from auth.users where id = tests.agg_user('b');
select set_eq('select * from rollup', 'select * from rollup_from_raw',
  'a deleted user''s spend leaves the rollup');

truncate public.traffic_facebook_ads_raw cascade;
select is((select count(*)::int from public.traffic_spend_daily), 0, 'truncate empties the rollup');
select is((select count(*)::int from private.traffic_ad_directory), 0,
  'and the directory');

select * from finish();
rollback;
