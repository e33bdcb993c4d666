-- traffic-api's per-day series for charts: one row per calendar day of [p_from, p_to] (days
-- without data are zeros), summed over the rows the caller may read. Security invoker: RLS
-- decides, so a targetologist gets their own series and an admin every team's (p_user_id narrows
-- it to one targetologist). Conversion rules are the aggregation's:
--   * spend in a non-USD account → USD at that day's rates (latest rate on or before the day);
--   * spend_kzt = each day's spend at that day's USD→KZT rate (KZT accounts: the spend itself);
--   * a day whose needed rate is missing has null spend (never a silently wrong number);
--   * leads (not deleted) and active sales are bucketed by their local date in p_tz;
--   * only attributed leads and sales count (the team total is the sum of its members).
create or replace function public.traffic_daily_series(
  p_from date,
  p_to date,
  p_tz text default 'Asia/Almaty',
  p_user_id uuid default null
)
returns table (
  date date,
  spend_usd numeric,
  spend_kzt numeric,
  impressions bigint,
  clicks bigint,
  leads bigint,
  sales bigint,
  revenue numeric
)
language sql
stable
security invoker
set search_path = ''
as $$
  with days as (
    select d::date as day
    from generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') as d
  ),
  ads as (
    select r.stat_date as day, r.account_currency as currency, sum(r.spend) as spend,
      sum(r.impressions) as impressions, sum(r.clicks) as clicks
    from public.traffic_facebook_ads_raw r
    where r.stat_date between p_from and p_to
      and (p_user_id is null or r.user_id = p_user_id)
    group by r.stat_date, r.account_currency
  ),
  ads_fx as (
    select a.day, a.impressions, a.clicks,
      case a.currency
        when 'USD' then a.spend
        when 'KZT' then a.spend / usd.rate_kzt
        else a.spend * cur.rate_kzt / usd.rate_kzt
      end as spend_usd,
      case a.currency
        when 'USD' then a.spend * usd.rate_kzt
        when 'KZT' then a.spend
        else a.spend * cur.rate_kzt
      end as spend_kzt
    from ads a
    left join lateral (
      select e.rate_kzt from public.exchange_rates e
      where e.currency = 'USD' and e.rate_date <= a.day
      order by e.rate_date desc limit 1
    ) usd on true
    left join lateral (
      select e.rate_kzt from public.exchange_rates e
      where e.currency = a.currency and e.rate_date <= a.day
      order by e.rate_date desc limit 1
    ) cur on true
  ),
  spend as (
    select f.day,
      -- null when any account's rate was missing that day
      case when bool_and(f.spend_usd is not null) then sum(f.spend_usd) end as spend_usd,
      case when bool_and(f.spend_kzt is not null) then sum(f.spend_kzt) end as spend_kzt,
      sum(f.impressions)::bigint as impressions,
      sum(f.clicks)::bigint as clicks
    from ads_fx f
    group by f.day
  ),
  lead_days as (
    select (l.created_at at time zone p_tz)::date as day, count(*) as leads
    from public.traffic_leads l
    where l.created_at >= (p_from::timestamp at time zone p_tz)
      and l.created_at < ((p_to + 1)::timestamp at time zone p_tz)
      and not l.is_deleted
      and l.user_id is not null
      and (p_user_id is null or l.user_id = p_user_id)
    group by 1
  ),
  sale_days as (
    select (s.sold_at at time zone p_tz)::date as day, count(*) as sales,
      sum(s.sale_amount) as revenue
    from public.traffic_sales s
    where s.sold_at >= (p_from::timestamp at time zone p_tz)
      and s.sold_at < ((p_to + 1)::timestamp at time zone p_tz)
      and s.status = 'active'
      and s.user_id is not null
      and (p_user_id is null or s.user_id = p_user_id)
    group by 1
  )
  select d.day,
    case when sp.day is null then 0 else sp.spend_usd end,
    case when sp.day is null then 0 else sp.spend_kzt end,
    coalesce(sp.impressions, 0),
    coalesce(sp.clicks, 0),
    coalesce(ld.leads, 0),
    coalesce(sd.sales, 0),
    coalesce(sd.revenue, 0)
  from days d
  left join spend sp on sp.day = d.day
  left join lead_days ld on ld.day = d.day
  left join sale_days sd on sd.day = d.day
  order by d.day
$$;

comment on function public.traffic_daily_series(date, date, text, uuid) is
  'Per-day spend (USD, KZT), impressions, clicks, leads, sales and revenue over [p_from, p_to] in '
  'time zone p_tz, for what the caller may read (security invoker). traffic-api GET /daily.';

revoke all on function public.traffic_daily_series(date, date, text, uuid) from public, anon;
grant execute on function public.traffic_daily_series(date, date, text, uuid)
  to authenticated, service_role;
