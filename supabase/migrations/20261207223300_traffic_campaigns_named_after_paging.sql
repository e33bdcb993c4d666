-- GET /campaigns names only the rows of its page (issue 11 item 2, the admin's miss).
--
-- traffic_api_campaigns_answer took its page (limit p_limit + 1 offset p_offset) from
-- traffic_api_campaigns, which read every row of traffic_campaign_metrics: each row's team name and
-- the latest campaign / adset / ad names (one backward index probe each) were looked up for every
-- entity of the range (1,483 campaigns for an admin over 7 days at the bench's volume) though a
-- page shows 100. The rows' order (spend, leads, then the ids and the user) is a total order of
-- the totals, so the first rows are chosen first and named after: the bodies move unchanged into
-- private.traffic_campaign_metrics_top / private.traffic_api_campaigns_top with p_rows, the
-- number of leading rows wanted (null: all; bigint, so any int offset + limit + 1 fits), and the
-- public functions call them with null (the same rows as before); the answer asks for
-- p_offset + p_limit + 1. The rules (visible members, rates, attribution entity, Meta-leads gap)
-- are called as before, from the moved bodies only.
-- Admin's traffic_api_campaigns_answer, 7 days at campaign level, a year's volume (psql, backend
-- CPU, 10 calls, old and new alternated inside rolled-back transactions, load 2-4.6): 59 / 60 ms
-- a call before, 46 / 47 after; the same answers (md5 of 60 pages and the full lists).
-- Bodies: 20261207172000 (traffic_campaign_metrics), 20261207051700 (traffic_api_campaigns),
-- 20261207142257 (traffic_api_campaigns_answer), with only the page moved.

create or replace function private.traffic_campaign_metrics_top(
  p_from date,
  p_to date,
  p_tz text,
  p_level text,
  p_user_id uuid,
  p_rows bigint
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
  ),
  -- The first p_rows rows in the answer's order (all when null), named after they are chosen:
  -- the order is a total order of the totals, so names are looked up for those rows only.
  top as (
    select t.*
    from totals t
    order by t.spend_usd desc nulls last, t.leads desc, t.campaign_id, t.adset_id, t.ad_id,
      t.user_id
    limit p_rows
  )
  select t.user_id, st.team_name,
    t.campaign_id, n_campaign.name, t.adset_id, n_adset.name, t.ad_id, n_ad.name,
    t.spend_usd, t.spend_kzt, t.impressions, t.clicks, t.leads, t.sales, t.revenue,
    t.revenue / nullif(t.spend_kzt, 0),
    t.spend_usd / nullif(t.sales, 0)
  from top t
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

comment on function private.traffic_campaign_metrics_top(date, date, text, text, uuid, bigint) is
  'The first p_rows rows (null: all) of traffic_campaign_metrics'' answer, in its order, named '
  'after they are chosen. Security invoker: RLS decides what the caller reads.';
revoke all on function private.traffic_campaign_metrics_top(date, date, text, text, uuid, bigint)
  from public, anon;
grant execute on function private.traffic_campaign_metrics_top(date, date, text, text, uuid, bigint)
  to authenticated, service_role;

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
language sql
stable
security invoker
set search_path = ''
as $$
  select * from private.traffic_campaign_metrics_top(p_from, p_to, p_tz, p_level, p_user_id, null)
$$;

create or replace function private.traffic_api_campaigns_top(
  p_from date,
  p_to date,
  p_tz text,
  p_level text,
  p_user_id uuid,
  p_rows bigint
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
  from private.traffic_campaign_metrics_top(p_from, p_to, p_tz, p_level, p_user_id, p_rows)
    with ordinality as c
  left join meta m
    on m.user_id = c.user_id and m.campaign_id = c.campaign_id
   and m.adset_id is not distinct from c.adset_id and m.ad_id is not distinct from c.ad_id
  cross join lateral private.traffic_meta_leads_gap(m.meta_leads, c.leads) as g
  order by c.ordinality
$$;

comment on function private.traffic_api_campaigns_top(date, date, text, text, uuid, bigint) is
  'The first p_rows rows (null: all) of traffic_api_campaigns'' answer, in its order. Security '
  'invoker.';
revoke all on function private.traffic_api_campaigns_top(date, date, text, text, uuid, bigint)
  from public, anon;
grant execute on function private.traffic_api_campaigns_top(date, date, text, text, uuid, bigint)
  to authenticated, service_role;

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
  select * from private.traffic_api_campaigns_top(p_from, p_to, p_tz, p_level, p_user_id, null)
$$;

create or replace function public.traffic_api_campaigns_answer(
  p_from date,
  p_to date,
  p_tz text default 'Asia/Almaty',
  p_level text default 'campaign',
  p_user_id uuid default null,
  p_limit int default 100,
  p_offset int default 0
)
returns json
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_rows text[];
begin
  if p_limit is null or p_limit < 1 or p_limit > 500 or p_offset is null or p_offset < 0 then
    raise exception 'A page is 1 to 500 rows from an offset of 0 or more (limit %, offset %).',
      p_limit, p_offset
      using errcode = '22023';
  end if;
  -- One row more than asked says whether another page follows (as PostgREST's limit/offset over
  -- the same call did).
  select coalesce(array_agg(row_to_json(c)::text), '{}')
  into v_rows
  from (
    select *
    -- Only the rows up to this page's end are computed to the last column (names, Meta leads).
    -- (bigint: p_offset may be any int, as before)
    from private.traffic_api_campaigns_top(p_from, p_to, p_tz, p_level, p_user_id,
      p_offset::bigint + p_limit + 1)
    limit p_limit + 1 offset p_offset
  ) as c;
  return json_build_object(
    'snapshot', pg_current_snapshot()::text,
    'data', array_to_string(v_rows[1:p_limit], ','),
    'more', cardinality(v_rows) > p_limit);
end
$$;
