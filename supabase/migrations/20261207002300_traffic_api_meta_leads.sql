-- traffic-api serves Meta's leads beside the CRM's (issue 15): every metrics row (GET /metrics,
-- /metrics/range), every day (GET /daily) and every campaign, adset or ad (GET /campaigns) gains
--   meta_leads          Meta-reported leads (the rule: 20261207002000; counts, integers)
--   meta_leads_gap      meta_leads - leads (the CRM's leads of the same row)
--   meta_leads_gap_pct  gap x 100 / meta_leads, a percentage rounded here, at the edge, to 2
--                       places as text (the precision of a 4-place ratio); null when meta_leads = 0.
-- The view and traffic_api_metrics_range are those of 20261202800100 / 20261202200300 with the
-- three columns appended. /daily and /campaigns add them on top of traffic_daily_series /
-- traffic_campaign_metrics (unchanged), from the Meta-lead rollups: traffic_meta_leads_daily (one
-- row per user-day) for /daily, traffic_meta_leads_by_ad joined to the raw rows' ids (the ad-days
-- of the range that have Meta leads) for /campaigns. Their result types grow, so those two are
-- dropped and created again (nothing in SQL depends on them; traffic-api calls them).

create or replace view public.traffic_api_metrics
with (security_invoker = true) as
select
  m.user_id,
  m.team_name,
  m.period,
  m.period_start,
  m.period_end,
  round(m.spend_usd, 2)::text as spend_usd,
  round(m.spend_kzt, 2)::text as spend_kzt,
  round(m.exchange_rate, 4)::text as exchange_rate,
  m.impressions,
  m.clicks,
  m.reach,
  m.leads,
  m.challenge3d_leads,
  m.express_leads,
  m.intensive1d_leads,
  m.challenge3d_prepayments,
  round(m.challenge3d_prepayment_revenue, 2)::text as challenge3d_prepayment_revenue,
  m.challenge3d_full_payments,
  round(m.challenge3d_full_revenue, 2)::text as challenge3d_full_revenue,
  round(m.challenge3d_revenue, 2)::text as challenge3d_revenue,
  m.express_sales,
  round(m.express_revenue, 2)::text as express_revenue,
  m.intensive1d_sales,
  round(m.intensive1d_revenue, 2)::text as intensive1d_revenue,
  round(m.total_revenue, 2)::text as total_revenue,
  m.total_sales,
  round(m.roas, 4)::text as roas,
  round(m.cpa_usd, 2)::text as cpa_usd,
  round(m.ctr, 4)::text as ctr,
  round(m.cpc_usd, 2)::text as cpc_usd,
  round(m.cpm_usd, 2)::text as cpm_usd,
  round(m.cost_per_lead_usd, 2)::text as cost_per_lead_usd,
  round(m.lead_to_sale_rate, 4)::text as lead_to_sale_rate,
  m.unattributed_leads,
  m.computed_at,
  m.updated_at,
  m.meta_leads,
  m.meta_leads_gap,
  round(m.meta_leads_gap_pct, 2)::text as meta_leads_gap_pct
from (
  select * from public.traffic_aggregated_metrics o
  where o.user_id = (select auth.uid())
  union all
  select * from public.traffic_aggregated_metrics o
  where (select private.is_admin()) and o.user_id is distinct from (select auth.uid())
) as m;
comment on view public.traffic_api_metrics is
  'traffic_aggregated_metrics as traffic-api GET /metrics serves it: money rounded to the unit '
  '(2 places), ratios to 4 and meta_leads_gap_pct to 2 (a percentage), as text. Security '
  'invoker: the table''s RLS applies.';

-- GET /metrics/range: traffic_metrics_for_range() shaped like the view.
create or replace function public.traffic_api_metrics_range(
  p_from date,
  p_to date,
  p_tz text default 'Asia/Almaty'
)
returns setof public.traffic_api_metrics
language sql
stable
security invoker
set search_path = ''
as $$
  select
    m.user_id,
    m.team_name,
    m.period,
    m.period_start,
    m.period_end,
    round(m.spend_usd, 2)::text as spend_usd,
    round(m.spend_kzt, 2)::text as spend_kzt,
    round(m.exchange_rate, 4)::text as exchange_rate,
    m.impressions,
    m.clicks,
    m.reach,
    m.leads,
    m.challenge3d_leads,
    m.express_leads,
    m.intensive1d_leads,
    m.challenge3d_prepayments,
    round(m.challenge3d_prepayment_revenue, 2)::text as challenge3d_prepayment_revenue,
    m.challenge3d_full_payments,
    round(m.challenge3d_full_revenue, 2)::text as challenge3d_full_revenue,
    round(m.challenge3d_revenue, 2)::text as challenge3d_revenue,
    m.express_sales,
    round(m.express_revenue, 2)::text as express_revenue,
    m.intensive1d_sales,
    round(m.intensive1d_revenue, 2)::text as intensive1d_revenue,
    round(m.total_revenue, 2)::text as total_revenue,
    m.total_sales,
    round(m.roas, 4)::text as roas,
    round(m.cpa_usd, 2)::text as cpa_usd,
    round(m.ctr, 4)::text as ctr,
    round(m.cpc_usd, 2)::text as cpc_usd,
    round(m.cpm_usd, 2)::text as cpm_usd,
    round(m.cost_per_lead_usd, 2)::text as cost_per_lead_usd,
    round(m.lead_to_sale_rate, 4)::text as lead_to_sale_rate,
    m.unattributed_leads,
    m.computed_at,
    m.updated_at,
    m.meta_leads,
    m.meta_leads_gap,
    round(m.meta_leads_gap_pct, 2)::text as meta_leads_gap_pct
  from public.traffic_metrics_for_range(p_from, p_to, p_tz) m
$$;
comment on function public.traffic_api_metrics_range(date, date, text) is
  'traffic_metrics_for_range() as traffic-api GET /metrics/range serves it (money 2 places, '
  'ratios 4, as text).';
revoke all on function public.traffic_api_metrics_range(date, date, text) from public, anon;
grant execute on function public.traffic_api_metrics_range(date, date, text)
  to authenticated, service_role;

-- GET /daily: traffic_daily_series() shaped, with Meta's leads of each day (by stat_date, of the
-- members the series covers: active ones, p_user_id narrowing; RLS decides whose).
drop function public.traffic_api_daily(date, date, text, uuid);
create function public.traffic_api_daily(
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
    coalesce(m.meta_leads, 0) as meta_leads,
    coalesce(m.meta_leads, 0) - d.leads as meta_leads_gap,
    round((m.meta_leads - d.leads) * 100.0 / nullif(m.meta_leads, 0), 2)::text
      as meta_leads_gap_pct
  from public.traffic_daily_series(p_from, p_to, p_tz, p_user_id) d
  left join meta m on m.stat_date = d.date
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
drop function public.traffic_api_campaigns(date, date, text, text, uuid);
create function public.traffic_api_campaigns(
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
    coalesce(m.meta_leads, 0) as meta_leads,
    coalesce(m.meta_leads, 0) - c.leads as meta_leads_gap,
    round((m.meta_leads - c.leads) * 100.0 / nullif(m.meta_leads, 0), 2)::text
      as meta_leads_gap_pct
  from public.traffic_campaign_metrics(p_from, p_to, p_tz, p_level, p_user_id)
    with ordinality as c
  left join meta m
    on m.user_id = c.user_id and m.campaign_id = c.campaign_id
   and m.adset_id is not distinct from c.adset_id and m.ad_id is not distinct from c.ad_id
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
