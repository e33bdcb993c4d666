-- GET /campaigns reads the leads, sales and Meta leads of its page's rows' owners and campaigns
-- only (issue 11 item 2, the admin's miss; folds review R9 L3).
--
-- 1. private.traffic_campaign_metrics_top read every visible member's leads and sales of the
-- range and ran the attribution's entity step (private.traffic_attribution_entity, a few raw-row
-- probes) for each distinct UTM tuple, then kept the first p_rows rows of the answer. An admin's
-- page of 100 over 1,000 teams (7 days, the bench's volume): 5,830 leads and sales, 995 entity
-- steps, for ~100 rows. The answer's order is by spend first, and a row's spend is its ad-days'
-- alone (a conversion adds 0 to it), so when p_rows rows are asked and the p_rows-th highest
-- spend of a row is above 0, the first p_rows rows are rows with at least that spend: only their
-- owners' conversions can change them (their counts, their order among equal spends); every
-- other row (less spend, or 0, or null) comes after p_rows rows whatever its conversions are. So
-- `cut` finds that spend from the ad-days (which are read anyway), `owners` the users of the rows
-- at or above it, and the conversions are read for those users only; otherwise (no such spend:
-- fewer rows with spend above 0, or every row asked) for every visible member, as before. The
-- answer's order is written once (review R9 L3): `top` numbers the rows by it (`place`) and the
-- answer is listed by that number.
-- 2. private.traffic_api_campaigns_top summed Meta's leads of every Meta-lead ad-day of the range
-- the caller could see, then joined the page's rows to them. For a targetologist the table's row
-- level security policy ("own or admin") leaves no user_id for an index, so that was a scan of
-- every team's Meta-lead ad-days of every day (it grew with the history); for an admin, every
-- team's of the range. Now the rows are computed first (a materialized CTE) and only their own
-- (user, campaign)s' ad-days of the range are read (by the raw table's (user_id, campaign_id,
-- stat_date) index), each ad-day's Meta leads by its key: a row joins the sums of its own
-- (user, campaign) only, so the sums it joins are the same.
-- The rules (visible members, rates, the entity step, the Meta-leads gap) are called as before.
-- Backend CPU per call (psql as the caller, a year's volume, 10 or 5 calls, old and new alternated
-- inside rolled-back transactions; busy machine, load 4.7-6.1; docs/benchmarks.md, miss's
-- tenth-session section): without Meta leads (the bench's data), an admin's
-- traffic_api_campaigns_answer page of 100, 7 days: 45 / 45 ms -> 27 / 29 ms (1.); with Meta
-- leads on every ad-day of the last 60 days (254,627 rows): admin 7 days 116 / 122 -> 48 / 56 ms,
-- admin 30 days ad level 1,122 / 1,126 -> 714 / 684 ms, targetologist 30 days 22 / 24 -> 4 / 4 ms
-- (2.). Same answers: md5 of 176 answers old vs new at volume, with and without Meta leads.
-- Bodies: 20261207223300's, with `spend`, `cut`, `owners`, the conversions' owner filter and
-- `top`'s place added (1.), and the rows as a CTE with `meta` driven from their campaigns (2.).

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
  -- Each row's spend: the part of its total that comes from the ad-days (its conversions add 0
  -- to it, see facts).
  spend as (
    select f.user_id, f.campaign_id, f.adset_id, f.ad_id, sum(f.spend_usd) as spend_usd
    from ads_fx f
    group by f.user_id, f.campaign_id, f.adset_id, f.ad_id
  ),
  -- The p_rows-th highest spend of a row, when p_rows rows are asked. The answer's order is by
  -- spend first, so when that spend is above 0 the first p_rows rows are rows with at least that
  -- spend, and only their owners' leads and sales can change them (their counts, their order
  -- among equal spends): every other row (less spend, or none: 0 or null) comes after p_rows
  -- rows whatever its conversions are. So only those owners' conversions are read and given
  -- their entity (an admin's first page: the owners of ~100 rows, not every team). No such
  -- spend (fewer rows with spend above 0, or every row asked): every visible member's.
  cut as (
    select s.spend_usd
    from spend s
    where p_rows is not null and s.spend_usd is not null
    order by s.spend_usd desc
    offset p_rows - 1
    limit 1
  ),
  owners as (
    select coalesce(array_agg(distinct s.user_id), v_users) as ids
    from spend s
    join cut c on c.spend_usd > 0 and s.spend_usd >= c.spend_usd
  ),
  conversions as (
    select l.user_id, l.utm_campaign, l.utm_content, l.utm_term,
      1 as is_lead, 0 as is_sale, 0::numeric as amount
    from public.traffic_leads l
    where l.created_at >= v_lo and l.created_at < v_hi and not l.is_deleted
      and l.user_id = any((select o.ids from owners o)::uuid[])
    union all
    select s.user_id, s.utm_campaign, s.utm_content, s.utm_term, 0, 1, s.sale_amount
    from public.traffic_sales s
    where s.sold_at >= v_lo and s.sold_at < v_hi and s.status = 'active'
      and s.user_id = any((select o.ids from owners o)::uuid[])
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
  -- the order is a total order of the totals, so names are looked up for those rows only. The
  -- order is written here once (review R9 L3): each row's place in it, which lists the answer.
  top as (
    select t.*, row_number() over (
      order by t.spend_usd desc nulls last, t.leads desc, t.campaign_id, t.adset_id, t.ad_id,
        t.user_id) as place
    from totals t
    order by place
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
  order by t.place;
end
$$;

comment on function private.traffic_campaign_metrics_top(date, date, text, text, uuid, bigint) is
  'The first p_rows rows (null: all) of traffic_campaign_metrics'' answer, in its order, named '
  'after they are chosen; when the p_rows-th highest spend is above 0, only the conversions of '
  'the rows'' owners with at least that spend are read. Security invoker: RLS decides what the '
  'caller reads.';
revoke all on function private.traffic_campaign_metrics_top(date, date, text, text, uuid, bigint)
  from public, anon;
grant execute on function private.traffic_campaign_metrics_top(date, date, text, text, uuid, bigint)
  to authenticated, service_role;

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
  -- The page's rows (computed once).
  with c as materialized (
    select *
    from private.traffic_campaign_metrics_top(p_from, p_to, p_tz, p_level, p_user_id, p_rows)
      with ordinality as c
  ),
  -- Meta's leads of the range per entity of the level: the ad-days with Meta leads, keyed by
  -- their raw row's ids exactly as traffic_campaign_metrics keys spend. Only the rows' own
  -- campaigns are read (their ad-days of the range, each ad-day's Meta leads by its key): a row
  -- joins the sums of its own (user, campaign) only, so the other campaigns' ad-days of the range
  -- (every team's, for an admin's page of 100 rows) are not read.
  meta as (
    select r.user_id, r.campaign_id,
      case when p_level <> 'campaign' then r.adset_id end as adset_id,
      case when p_level = 'ad' then r.ad_id end as ad_id,
      round(sum(b.meta_leads))::bigint as meta_leads
    from (select distinct c.user_id, c.campaign_id from c) as p
    join public.traffic_facebook_ads_raw r
      on r.user_id = p.user_id and r.campaign_id = p.campaign_id
     and r.stat_date between p_from and p_to
    join public.traffic_meta_leads_by_ad b
      on b.user_id = r.user_id and b.ad_id = r.ad_id and b.stat_date = r.stat_date
    where (p_user_id is null or b.user_id = p_user_id)
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
  from c
  left join meta m
    on m.user_id = c.user_id and m.campaign_id = c.campaign_id
   and m.adset_id is not distinct from c.adset_id and m.ad_id is not distinct from c.ad_id
  cross join lateral private.traffic_meta_leads_gap(m.meta_leads, c.leads) as g
  order by c.ordinality
$$;

comment on function private.traffic_api_campaigns_top(date, date, text, text, uuid, bigint) is
  'The first p_rows rows (null: all) of traffic_api_campaigns'' answer, in its order, with the '
  'Meta leads of their own campaigns'' ad-days of the range. Security invoker.';
revoke all on function private.traffic_api_campaigns_top(date, date, text, text, uuid, bigint)
  from public, anon;
grant execute on function private.traffic_api_campaigns_top(date, date, text, text, uuid, bigint)
  to authenticated, service_role;
