-- A repair path for the two trigger-maintained tables: recomputes traffic_spend_daily and
-- private.traffic_ad_directory from traffic_facebook_ads_raw. Needed only if rows were written
-- with triggers off (session_replication_role = replica, a restore without triggers).
create or replace function public.traffic_rebuild_rollups()
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_daily int;
  v_directory int;
begin
  -- Keeps raw writers out while both tables are rebuilt (their triggers would race the rebuild).
  lock table public.traffic_facebook_ads_raw in share mode;
  delete from public.traffic_spend_daily;
  insert into public.traffic_spend_daily (user_id, stat_date, account_currency, spend,
    impressions, clicks, reach, ad_rows)
  select r.user_id, r.stat_date, upper(r.account_currency), sum(r.spend), sum(r.impressions),
    sum(r.clicks), sum(r.reach), count(*)
  from public.traffic_facebook_ads_raw r
  group by r.user_id, r.stat_date, upper(r.account_currency);
  get diagnostics v_daily = row_count;

  delete from private.traffic_ad_directory;
  insert into private.traffic_ad_directory (user_id, ad_id, adset_id, campaign_id)
  select distinct r.user_id, r.ad_id, coalesce(r.adset_id, ''), coalesce(r.campaign_id, '')
  from public.traffic_facebook_ads_raw r;
  get diagnostics v_directory = row_count;

  return jsonb_build_object('spend_daily_rows', v_daily, 'ad_directory_rows', v_directory);
end
$$;
comment on function public.traffic_rebuild_rollups() is
  'Recomputes traffic_spend_daily and private.traffic_ad_directory from the raw ad rows (repair '
  'after writes with triggers off). Returns {spend_daily_rows, ad_directory_rows}.';
revoke all on function public.traffic_rebuild_rollups() from public, anon, authenticated;
grant execute on function public.traffic_rebuild_rollups() to service_role;
