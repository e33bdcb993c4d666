-- GET /campaigns for one team reuses one generic plan per connection (issue 11 item 2, misses).
--
-- public.traffic_campaign_metrics (newest: 20261207164500) runs with plan_cache_mode =
-- force_custom_plan (a plan cached from a targetologist's calls once served an admin's over 1,000
-- teams and ran past statement_timeout), so a targetologist's query was planned, and its inlined
-- rule functions parsed again, on every call. A read of one team now switches to a generic plan
-- (as traffic_daily_series does, 20261207170500); a read of several teams keeps a plan per call.
-- SQL CPU per call at a year's volume (psql, backend CPU, the plan mode swapped inside a rolled-
-- back transaction, alternating): a targetologist's traffic_api_campaigns_answer (7 days,
-- campaign level) 6.3 / 6.3 -> 2.2 / 2.0 ms; adset level over 30 days in UTC 6.7 -> 2.3 ms; ad
-- level over 365 days 27 -> 24 ms. (A generic plan for the admin measured the same as its own
-- plan, 94 / 730 vs 96 / 710 ms, and is not used.) The answers are the same bytes. The body is
-- 20261207164500's with only the plan choice added.

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
  -- One team's read (a targetologist, or an admin's user_id) with a generic plan, made once per
  -- connection: planning it for each call was most of its CPU. A read over several teams keeps a
  -- plan made for its own call (see the SET clause); the function's SET clause restores
  -- plan_cache_mode when it returns.
  if cardinality(v_users) <= 1 then
    perform set_config('plan_cache_mode', 'force_generic_plan', true);
  end if;
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
  -- Conversions that name the same UTM values of one owner get the same entity: summed per
  -- (user, utm_content, utm_term, utm_campaign) first (group by treats nulls as equal), so the
  -- entity step runs once per distinct tuple, not once per lead or sale.
  tuples as (
    select c.user_id, c.utm_content, c.utm_term, c.utm_campaign,
      sum(c.is_lead) as leads, sum(c.is_sale) as sales, sum(c.amount) as amount
    from conversions c
    group by c.user_id, c.utm_content, c.utm_term, c.utm_campaign
  ),
  -- The entity each tuple belongs to: the entity step of the attribution rule
  -- (private.traffic_attribution_entity, inlined: one index probe per UTM value).
  matched as (
    select t.user_id, t.leads, t.sales, t.amount, m.campaign_id, m.adset_id, m.ad_id
    from tuples t
    cross join lateral private.traffic_attribution_entity(t.user_id, t.utm_content, t.utm_term,
      t.utm_campaign) as m
  ),
  facts as (
    select f.user_id, f.campaign_id, f.adset_id, f.ad_id, f.spend_usd, f.spend_kzt,
      f.impressions, f.clicks, 0 as leads, 0 as sales, 0::numeric as revenue
    from ads_fx f
    union all
    select m.user_id, m.campaign_id,
      case when p_level <> 'campaign' then m.adset_id end,
      case when p_level = 'ad' then m.ad_id end,
      0, 0, 0, 0, m.leads, m.sales, m.amount
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
