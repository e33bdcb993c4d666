-- The two repair paths also repair the per-day totals (migration 20261207113500; review R5 L2).
-- The totals are kept by statement triggers on the rollups, so a rollup row written, changed or
-- restored with triggers off (session_replication_role = replica, a data-only restore) leaves
-- them off by the same amount; the repairs' delete + insert of the rollups moves the totals only
-- by what the triggers see, so the error stayed for good. Each repair now ends with
-- private.traffic_rebuild_day_totals() (every totals table from its rollup, under SHARE locks).
-- public.traffic_rebuild_rollups is redefined from 20261202100500, public.traffic_rebuild_meta_leads
-- from 20261207060204; bodies otherwise unchanged, same answers.

create or replace function public.traffic_rebuild_rollups()
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_daily int;
  v_directory int;
  v_owners int;
  v_sources int;
  v_result jsonb;
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

  perform pg_advisory_xact_lock(hashtext('private.traffic_attribution_id_owners'));
  delete from private.traffic_attribution_id_owners;
  insert into private.traffic_attribution_id_owners (id, rank, level, user_id, shared)
  select o.id, o.rank, o.level, o.user_id, o.shared
  from private.traffic_attribution_owners_of(
    (select array_agg(distinct v.id)
     from private.traffic_ad_directory d
     cross join lateral (values (d.ad_id), (d.adset_id), (d.campaign_id)) v(id)
     where v.id <> '')) as o;
  get diagnostics v_owners = row_count;

  perform pg_advisory_xact_lock(hashtext('private.traffic_utm_source_owners'));
  delete from private.traffic_utm_source_claims c
  where not exists (select 1 from public.traffic_targetologist_settings s
                    cross join lateral unnest(s.utm_sources) as x(value)
                    where s.user_id = c.user_id and lower(x.value) = c.source);
  insert into private.traffic_utm_source_claims (source, user_id)
  select distinct lower(x.value), s.user_id
  from public.traffic_targetologist_settings s
  cross join lateral unnest(s.utm_sources) as x(value)
  where x.value is not null and x.value <> ''
  on conflict do nothing;
  delete from private.traffic_utm_source_owners;
  perform private.traffic_utm_source_refresh(
    (select array_agg(distinct c.source) from private.traffic_utm_source_claims c));
  select count(*) into v_sources from private.traffic_utm_source_owners;

  insert into private.traffic_attribution_queue (kind) values ('all');

  v_result := jsonb_build_object('spend_daily_rows', v_daily, 'ad_directory_rows', v_directory,
    'attribution_id_owners', v_owners, 'utm_source_owners', v_sources)
    || private.traffic_rebuild_leads_sales_daily();
  -- The per-day totals follow the rollups' statements; a rollup row written with triggers off
  -- (the case this repair is for) left them off too, and delete + insert above only moves them
  -- by what the triggers saw. Recomputed from the rebuilt rollups.
  perform private.traffic_rebuild_day_totals();
  return v_result;
end
$$;
comment on function public.traffic_rebuild_rollups() is
  'Recomputes traffic_spend_daily, private.traffic_ad_directory, the attribution owner tables and '
  'traffic_leads_daily / traffic_sales_daily (repair after writes with triggers off), then the '
  'per-day totals (private.traffic_rebuild_day_totals), and has the '
  'next traffic_resolve_attribution() look at every lead and sale. Returns {spend_daily_rows, '
  'ad_directory_rows, attribution_id_owners, utm_source_owners, leads_daily_rows, '
  'sales_daily_rows}.';
revoke all on function public.traffic_rebuild_rollups() from public, anon, authenticated;
grant execute on function public.traffic_rebuild_rollups() to service_role;

create or replace function public.traffic_rebuild_meta_leads()
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_users uuid[];
  v_ads text[];
  v_days date[];
begin
  lock table public.traffic_facebook_ads_raw in share mode;
  delete from public.traffic_meta_leads_by_ad;
  delete from public.traffic_meta_leads_daily;
  select array_agg(r.user_id), array_agg(r.ad_id), array_agg(r.stat_date)
    into v_users, v_ads, v_days
  from public.traffic_facebook_ads_raw r
  where r.actions ?| private.traffic_meta_lead_types_in_use();
  if v_users is not null then
    perform private.traffic_meta_leads_refresh(v_users, v_ads, v_days);
  end if;
  -- The Meta-lead day totals follow traffic_meta_leads_daily's statements: recomputed, as above.
  perform private.traffic_rebuild_day_totals();
  return jsonb_build_object(
    'meta_leads_by_ad_rows', (select count(*) from public.traffic_meta_leads_by_ad),
    'meta_leads_daily_rows', (select count(*) from public.traffic_meta_leads_daily));
end
$$;
comment on function public.traffic_rebuild_meta_leads() is
  'Recomputes traffic_meta_leads_by_ad (and through its triggers traffic_meta_leads_daily) from '
  'traffic_facebook_ads_raw.actions (repair after writes with triggers off), then the per-day '
  'totals (private.traffic_rebuild_day_totals). Returns the row counts.';
