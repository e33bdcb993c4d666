-- The raw heap's indexes (migration 20261208033700, part 2): traffic_facebook_ads_raw_stat_date_idx is
-- gone (each inserted ad-day paid its insert; an admin's many-team date range reads
-- (user_id, stat_date, ad_id) with user_id = any(...) instead). Every remaining index has a
-- reader (the migration names them). On the old code the index list fails; the probe test
-- passes on it too (it pins that the read the dropped index served is still an index range).
begin;
select plan(2);

select indexes_are('public', 'traffic_facebook_ads_raw',
  array['traffic_facebook_ads_raw_account_actions_idx', 'traffic_facebook_ads_raw_pkey',
    'traffic_facebook_ads_raw_user_ad_date_key', 'traffic_facebook_ads_raw_user_adset_date_idx',
    'traffic_facebook_ads_raw_user_campaign_date_idx', 'traffic_facebook_ads_raw_user_date_ad_idx'],
  'traffic_facebook_ads_raw keeps six indexes, none on stat_date alone');

-- An admin's date range over several users (traffic_campaign_metrics_top's `ads`, planned for
-- its own call) on a table of 20,000 rows of 10 users: an index range of (user_id, stat_date,
-- ad_id), not a read of every row.
create temporary table raw_copy (like public.traffic_facebook_ads_raw including all);
insert into raw_copy (user_id, account_id, campaign_id, adset_id, ad_id, stat_date)
select ('00000000-0000-4000-8000-00000000278' || u)::uuid, 'a', 'c', 's', 'ad' || a,
  date '2026-10-01' + d
from generate_series(0, 9) u, generate_series(1, 50) a, generate_series(0, 39) d;
analyze raw_copy;
create function pg_temp.plan(p_sql text) returns text language plpgsql as $$
declare v text := ''; r record;
begin
  for r in execute 'explain (costs off) ' || p_sql loop v := v || r."QUERY PLAN" || E'\n'; end loop;
  return v;
end $$;
select matches(
  pg_temp.plan($q$select r.user_id, r.stat_date, sum(r.spend) from raw_copy r
    where r.stat_date between date '2026-11-03' and date '2026-11-09'
      and r.user_id = any(array['00000000-0000-4000-8000-000000002780',
        '00000000-0000-4000-8000-000000002781', '00000000-0000-4000-8000-000000002782']::uuid[])
    group by 1, 2$q$),
  'Index Cond: \(\(user_id = ANY .*\(stat_date >= ',
  'an admin''s date range over several users is an index range of user_id and stat_date');

select * from finish();
rollback;
