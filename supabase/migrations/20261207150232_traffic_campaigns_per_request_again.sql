-- GET /campaigns back to the per-request attribution (review R6 M1-M3 on 20261207135500).
--
-- The maintained entity conversions (20261207135500 / 135600) answered /campaigns from rows kept
-- by triggers, but a lead written while a sync page committed its first ad was left out for good
-- (R6 M1), two concurrent refreshes of one conversion subtracted its row twice (M2), and the
-- webhook's hot path held row locks to commit on shared per-key counters (M3). A slow correct
-- answer beats a fast wrong one: the triggers and the kept tables go, traffic_campaign_metrics is
-- its 20261207023509 body again, traffic_rebuild_rollups its 20261207123232 body.

drop trigger if exists entity_conversions_insert on public.traffic_leads;
drop trigger if exists entity_conversions_update on public.traffic_leads;
drop trigger if exists entity_conversions_delete on public.traffic_leads;
drop trigger if exists entity_conversions_truncate on public.traffic_leads;
drop trigger if exists entity_conversions_insert on public.traffic_sales;
drop trigger if exists entity_conversions_update on public.traffic_sales;
drop trigger if exists entity_conversions_delete on public.traffic_sales;
drop trigger if exists entity_conversions_truncate on public.traffic_sales;
drop trigger if exists entity_conversions_insert on private.traffic_ad_directory;
drop trigger if exists entity_conversions_delete on private.traffic_ad_directory;

create or replace function public.traffic_campaign_metrics(
  p_from date,
  p_to date,
  p_tz text default 'Asia/Almaty',
  p_level text default 'campaign',
  p_user_id uuid default null
)
returns table (
  user_id uuid,
  team_name text,
  campaign_id text,
  campaign_name text,
  adset_id text,
  adset_name text,
  ad_id text,
  ad_name text,
  spend_usd numeric,
  spend_kzt numeric,
  impressions bigint,
  clicks bigint,
  leads bigint,
  sales bigint,
  revenue numeric,
  roas numeric,
  cpa_usd numeric
)
language plpgsql
stable
security invoker
set search_path = ''
-- Plans are made for each call's own parameters: a plan cached from a targetologist's calls
-- (RLS: one team) once served an admin's (1,000 teams) and ran past statement_timeout.
set plan_cache_mode = force_custom_plan
-- The estimates of the per-row lookups pass jit_above_cost; compiling took ~230 ms of a ~250 ms
-- call at a year's volume, for queries that run in milliseconds.
set jit = off
as $$
#variable_conflict use_column
declare
  v_lo timestamptz := p_from::timestamp at time zone p_tz;
  v_hi timestamptz := (p_to + 1)::timestamp at time zone p_tz;
  v_users uuid[];
begin
  if p_level is null or p_level not in ('campaign', 'adset', 'ad') then
    raise exception 'p_level must be campaign, adset or ad' using errcode = '22023';
  end if;
  perform private.traffic_check_range(p_from, p_to);
  -- The members the caller may see (private.traffic_visible_members), as a constant of this
  -- call's plan: one id for a targetologist, so the reads below are (user_id, date) index ranges.
  v_users := private.traffic_visible_members(p_user_id);
  return query
  with ads as (
    select r.user_id, r.campaign_id,
      case when p_level <> 'campaign' then r.adset_id end as adset_id,
      case when p_level = 'ad' then r.ad_id end as ad_id,
      r.stat_date, upper(r.account_currency) as currency,
      sum(r.spend) as spend, sum(r.impressions) as impressions, sum(r.clicks) as clicks
    from public.traffic_facebook_ads_raw r
    where r.stat_date between p_from and p_to
      and r.user_id = any(v_users)
    group by 1, 2, 3, 4, 5, 6
  ),
  day_rate as (
    select d.stat_date, d.currency, x.cur_kzt, x.usd_kzt
    from (select distinct a.stat_date, a.currency from ads a where a.spend <> 0) d
    cross join lateral private.traffic_day_rates(d.currency, d.stat_date) x
  ),
  ads_fx as (
    select a.user_id, a.campaign_id, a.adset_id, a.ad_id, a.impressions, a.clicks,
      x.spend_usd, x.spend_kzt
    from ads a
    left join day_rate r on r.stat_date = a.stat_date and r.currency = a.currency
    cross join lateral private.traffic_spend_converted(a.spend, a.currency, a.stat_date,
      r.cur_kzt, r.usd_kzt) as x
  ),
  conversions as (
    select l.user_id, l.utm_campaign, l.utm_content, l.utm_term,
      1 as is_lead, 0 as is_sale, 0::numeric as amount
    from public.traffic_leads l
    where l.created_at >= v_lo and l.created_at < v_hi and not l.is_deleted
      and l.user_id = any(v_users)
    union all
    select s.user_id, s.utm_campaign, s.utm_content, s.utm_term, 0, 1, s.sale_amount
    from public.traffic_sales s
    where s.sold_at >= v_lo and s.sold_at < v_hi and s.status = 'active'
      and s.user_id = any(v_users)
  ),
  -- The entity each conversion belongs to: the entity step of the attribution rule
  -- (private.traffic_attribution_entity, inlined: one index probe per UTM value).
  matched as (
    select c.user_id, c.is_lead, c.is_sale, c.amount, m.campaign_id, m.adset_id, m.ad_id
    from conversions c
    cross join lateral private.traffic_attribution_entity(c.user_id, c.utm_content, c.utm_term,
      c.utm_campaign) as m
  ),
  facts as (
    select f.user_id, f.campaign_id, f.adset_id, f.ad_id, f.spend_usd, f.spend_kzt,
      f.impressions, f.clicks, 0 as leads, 0 as sales, 0::numeric as revenue
    from ads_fx f
    union all
    select m.user_id, m.campaign_id,
      case when p_level <> 'campaign' then m.adset_id end,
      case when p_level = 'ad' then m.ad_id end,
      0, 0, 0, 0, m.is_lead, m.is_sale, m.amount
    from matched m
    where m.campaign_id is not null
      and (p_level = 'campaign' or m.adset_id is not null)
      and (p_level <> 'ad' or m.ad_id is not null)
  ),
  totals as (
    select f.user_id, f.campaign_id, f.adset_id, f.ad_id,
      sum(f.spend_usd) as spend_usd,
      sum(f.spend_kzt) as spend_kzt,
      sum(f.impressions)::bigint as impressions,
      sum(f.clicks)::bigint as clicks,
      sum(f.leads)::bigint as leads,
      sum(f.sales)::bigint as sales,
      sum(f.revenue) as revenue
    from facts f
    group by f.user_id, f.campaign_id, f.adset_id, f.ad_id
  )
  select t.user_id, st.team_name,
    t.campaign_id, n_campaign.name, t.adset_id, n_adset.name, t.ad_id, n_ad.name,
    t.spend_usd, t.spend_kzt, t.impressions, t.clicks, t.leads, t.sales, t.revenue,
    t.revenue / nullif(t.spend_kzt, 0),
    t.spend_usd / nullif(t.sales, 0)
  from totals t
  left join public.traffic_targetologist_settings st on st.user_id = t.user_id
  -- the latest name of each entity (names can change in Ads Manager)
  left join lateral (
    select r.campaign_name as name from public.traffic_facebook_ads_raw r
    where r.user_id = t.user_id and r.campaign_id = t.campaign_id
    order by r.stat_date desc limit 1
  ) n_campaign on true
  left join lateral (
    select r.adset_name as name from public.traffic_facebook_ads_raw r
    where t.adset_id is not null and r.user_id = t.user_id and r.adset_id = t.adset_id
    order by r.stat_date desc limit 1
  ) n_adset on true
  left join lateral (
    select r.ad_name as name from public.traffic_facebook_ads_raw r
    where t.ad_id is not null and r.user_id = t.user_id and r.ad_id = t.ad_id
    order by r.stat_date desc limit 1
  ) n_ad on true
  order by t.spend_usd desc nulls last, t.leads desc, t.campaign_id, t.adset_id, t.ad_id,
    t.user_id;
end
$$;

comment on function public.traffic_campaign_metrics(date, date, text, text, uuid) is
  'Spend, impressions, clicks, attributed leads, sales, revenue, ROAS and CPA per campaign, adset '
  'or ad (p_level) over [p_from, p_to] in p_tz (at most 366 days), for what the caller may read '
  '(security invoker). '
  'traffic-api GET /campaigns.';

revoke all on function public.traffic_campaign_metrics(date, date, text, text, uuid)
  from public, anon;
grant execute on function public.traffic_campaign_metrics(date, date, text, text, uuid)
  to authenticated, service_role;

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

drop function if exists private.traffic_conversion_entities_sync();
drop function if exists private.traffic_conversion_entities_directory_sync();
drop function if exists private.traffic_conversion_entities_truncate();
drop function if exists private.traffic_rebuild_entity_conversions();
drop function if exists private.traffic_conversion_entities_refresh(text, bigint[]);
drop table if exists public.traffic_entity_conversions_daily;
drop table if exists private.traffic_conversion_entities;
