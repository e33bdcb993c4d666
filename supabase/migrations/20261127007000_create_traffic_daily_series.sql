-- traffic-api's per-day series for charts: one row per calendar day of [p_from, p_to] (days
-- without data are zeros), for what the caller may read. Security invoker: RLS decides, so a
-- targetologist gets their own series, an admin the team total's (p_user_id narrows it to one
-- targetologist). The definitions are traffic_metrics_for_range()'s, day by day, so summing the
-- days gives exactly its numbers:
--   * active targetologists only (traffic_targetologist_settings.is_active);
--   * spend of a non-USD account → USD via KZT at that day's effective rates (latest on or before
--     the day); spend_kzt = each day's spend x that day's rate; a day with spend and no rate
--     raises (private.traffic_missing_rate) rather than give a wrong number;
--   * leads (not deleted) and active sales bucketed by their local date in p_tz; the team total
--     (admin, no p_user_id) includes unattributed ones, as the aggregation's does.
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
  with members as (
    select s.user_id
    from public.traffic_targetologist_settings s
    where s.is_active and (p_user_id is null or s.user_id = p_user_id)
  ),
  days as (
    select d::date as day
    from generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') as d
  ),
  -- Grouped per user as traffic_metrics_for_range() groups it, so the sums agree to the digit.
  spend_day as (
    select r.user_id, r.stat_date, upper(r.account_currency) as currency, sum(r.spend) as spend,
      sum(r.impressions) as impressions, sum(r.clicks) as clicks
    from public.traffic_facebook_ads_raw r
    where r.stat_date between p_from and p_to
      and r.user_id in (select m.user_id from members m)
    group by r.user_id, r.stat_date, upper(r.account_currency)
  ),
  day_rate as (
    select d.stat_date, d.currency, x.cur_kzt, x.usd_kzt
    from (select distinct sd.stat_date, sd.currency from spend_day sd where sd.spend <> 0) d
    cross join lateral private.traffic_day_rates(d.currency, d.stat_date) x
  ),
  spend as (
    select sd.stat_date as day,
      sum(case when sd.spend = 0 then 0
               when sd.currency = 'USD' then sd.spend
               else sd.spend * r.cur_kzt / r.usd_kzt end) as spend_usd,
      sum(case when sd.spend = 0 then 0 else sd.spend * r.cur_kzt end) as spend_kzt,
      sum(sd.impressions)::bigint as impressions,
      sum(sd.clicks)::bigint as clicks
    from spend_day sd
    left join day_rate r on r.stat_date = sd.stat_date and r.currency = sd.currency
    group by sd.stat_date
  ),
  lead_days as (
    select (l.created_at at time zone p_tz)::date as day, count(*) as leads
    from public.traffic_leads l
    where l.created_at >= (p_from::timestamp at time zone p_tz)
      and l.created_at < ((p_to + 1)::timestamp at time zone p_tz)
      and not l.is_deleted
      and (l.user_id in (select m.user_id from members m)
           or (l.user_id is null and p_user_id is null))
    group by 1
  ),
  sale_days as (
    select (s.sold_at at time zone p_tz)::date as day, count(*) as sales,
      sum(s.sale_amount) as revenue
    from public.traffic_sales s
    where s.sold_at >= (p_from::timestamp at time zone p_tz)
      and s.sold_at < ((p_to + 1)::timestamp at time zone p_tz)
      and s.status = 'active'
      and (s.user_id in (select m.user_id from members m)
           or (s.user_id is null and p_user_id is null))
    group by 1
  )
  select d.day,
    coalesce(sp.spend_usd, 0),
    coalesce(sp.spend_kzt, 0),
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
