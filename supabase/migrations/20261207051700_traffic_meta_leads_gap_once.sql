-- Issue 16 (duplicates D15): GET /daily and GET /campaigns each spelled out the Meta-leads gap
-- as the API serves it (meta_leads, 0 when Meta reports none; meta_leads_gap = meta_leads -
-- leads; meta_leads_gap_pct = that gap in percent of meta_leads, 2 places, as text, null when
-- meta_leads is 0). Now both take it from private.traffic_meta_leads_gap, an inlinable SQL
-- function (plain SQL, immutable, no SET clause), so their plans, columns, types and numbers are
-- unchanged (pgTAP 240, 245, 247). The bodies below are 20261207002300's with only those three
-- columns replaced. (The stored metrics rows' gap is computed once, by the aggregation's
-- private.traffic_metrics_rows, before rounding at the edge: private.traffic_api_metrics_shape.)

create or replace function private.traffic_meta_leads_gap(p_meta_leads bigint, p_leads bigint)
returns table (meta_leads bigint, meta_leads_gap bigint, meta_leads_gap_pct text)
language sql
immutable
as $$
  select coalesce(p_meta_leads, 0),
    coalesce(p_meta_leads, 0) - p_leads,
    round((p_meta_leads - p_leads) * 100.0 / nullif(p_meta_leads, 0), 2)::text
$$;
comment on function private.traffic_meta_leads_gap(bigint, bigint) is
  'THE Meta-leads gap of a /daily day or a /campaigns entity as traffic-api serves it: '
  'meta_leads (0 when null), meta_leads_gap = meta_leads - leads, meta_leads_gap_pct = the gap x '
  '100 / meta_leads rounded to 2 places as text (null when meta_leads is 0 or null). Inlined.';
revoke all on function private.traffic_meta_leads_gap(bigint, bigint) from public, anon;
grant execute on function private.traffic_meta_leads_gap(bigint, bigint)
  to authenticated, service_role;

-- GET /daily: traffic_daily_series() shaped, with Meta's leads of each day (by stat_date, of the
-- members the series covers: active ones, p_user_id narrowing; RLS decides whose).
create or replace function public.traffic_api_daily(
  p_from date,
  p_to date,
  p_tz text default 'Asia/Almaty',
  p_user_id uuid default null
)
returns table (
  date date,
  spend_usd text,
  spend_kzt text,
  impressions bigint,
  clicks bigint,
  leads bigint,
  sales bigint,
  revenue text,
  meta_leads bigint,
  meta_leads_gap bigint,
  meta_leads_gap_pct text
)
language sql
stable
security invoker
set search_path = ''
as $$
  with meta as (
    select md.stat_date, round(sum(md.meta_leads))::bigint as meta_leads
    from public.traffic_meta_leads_daily md
    join public.traffic_targetologist_settings s on s.user_id = md.user_id and s.is_active
    where md.stat_date between p_from and p_to
      and (p_user_id is null or md.user_id = p_user_id)
    group by md.stat_date
  )
  select
    d.date,
    round(d.spend_usd, 2)::text as spend_usd,
    round(d.spend_kzt, 2)::text as spend_kzt,
    d.impressions,
    d.clicks,
    d.leads,
    d.sales,
    round(d.revenue, 2)::text as revenue,
    g.meta_leads,
    g.meta_leads_gap,
    g.meta_leads_gap_pct
  from public.traffic_daily_series(p_from, p_to, p_tz, p_user_id) d
  left join meta m on m.stat_date = d.date
  cross join lateral private.traffic_meta_leads_gap(m.meta_leads, d.leads) as g
  order by d.date
$$;
comment on function public.traffic_api_daily(date, date, text, uuid) is
  'traffic_daily_series() as traffic-api GET /daily serves it (money 2 places, as text), with '
  'meta_leads per day (traffic_meta_leads_daily), meta_leads_gap = meta_leads - leads and '
  'meta_leads_gap_pct (2 places, null when meta_leads is 0).';
revoke all on function public.traffic_api_daily(date, date, text, uuid) from public, anon;
grant execute on function public.traffic_api_daily(date, date, text, uuid)
  to authenticated, service_role;

-- GET /campaigns: traffic_campaign_metrics() shaped, in its order (spend first).
create or replace function public.traffic_api_campaigns(
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
  spend_usd text,
  spend_kzt text,
  impressions bigint,
  clicks bigint,
  leads bigint,
  sales bigint,
  revenue text,
  roas text,
  cpa_usd text,
  meta_leads bigint,
  meta_leads_gap bigint,
  meta_leads_gap_pct text
)
language sql
stable
security invoker
set search_path = ''
as $$
  -- Meta's leads of the range per entity of the level: the ad-days with Meta leads, keyed by
  -- their raw row's ids exactly as traffic_campaign_metrics keys spend.
  with meta as (
    select b.user_id, r.campaign_id,
      case when p_level <> 'campaign' then r.adset_id end as adset_id,
      case when p_level = 'ad' then r.ad_id end as ad_id,
      round(sum(b.meta_leads))::bigint as meta_leads
    from public.traffic_meta_leads_by_ad b
    join public.traffic_facebook_ads_raw r
      on r.user_id = b.user_id and r.ad_id = b.ad_id and r.stat_date = b.stat_date
    where b.stat_date between p_from and p_to
      and (p_user_id is null or b.user_id = p_user_id)
    group by 1, 2, 3, 4
  )
  select
    c.user_id,
    c.team_name,
    c.campaign_id,
    c.campaign_name,
    c.adset_id,
    c.adset_name,
    c.ad_id,
    c.ad_name,
    round(c.spend_usd, 2)::text as spend_usd,
    round(c.spend_kzt, 2)::text as spend_kzt,
    c.impressions,
    c.clicks,
    c.leads,
    c.sales,
    round(c.revenue, 2)::text as revenue,
    round(c.roas, 4)::text as roas,
    round(c.cpa_usd, 2)::text as cpa_usd,
    g.meta_leads,
    g.meta_leads_gap,
    g.meta_leads_gap_pct
  from public.traffic_campaign_metrics(p_from, p_to, p_tz, p_level, p_user_id)
    with ordinality as c
  left join meta m
    on m.user_id = c.user_id and m.campaign_id = c.campaign_id
   and m.adset_id is not distinct from c.adset_id and m.ad_id is not distinct from c.ad_id
  cross join lateral private.traffic_meta_leads_gap(m.meta_leads, c.leads) as g
  order by c.ordinality
$$;
comment on function public.traffic_api_campaigns(date, date, text, text, uuid) is
  'traffic_campaign_metrics() as traffic-api GET /campaigns serves it, in its order (money 2 '
  'places, ROAS 4, as text), with meta_leads per entity (traffic_meta_leads_by_ad by the raw '
  'rows'' ids), meta_leads_gap = meta_leads - leads and meta_leads_gap_pct (2 places, null when '
  'meta_leads is 0).';
revoke all on function public.traffic_api_campaigns(date, date, text, text, uuid)
  from public, anon;
grant execute on function public.traffic_api_campaigns(date, date, text, text, uuid)
  to authenticated, service_role;
