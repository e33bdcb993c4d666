-- traffic_daily_series, second version:
--   * ranges over 366 days are refused (SQLSTATE 22023, private.traffic_check_range);
--   * spend is read from the daily rollup (traffic_spend_daily: one row per user, day and
--     currency, kept equal to the raw rows by triggers) instead of every ad-day row;
--   * the visible members are one array constant of the call's plan, so a targetologist's series
--     reads (user_id, date) index ranges and an admin's one rollup row per team-day;
--   * every call is planned for its own parameters (plan_cache_mode), without JIT.
-- Same signature, same numbers (grouped per user as before).
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
language plpgsql
stable
security invoker
set search_path = ''
-- Plans are made for each call's own parameters: a plan cached from a targetologist's calls
-- (RLS: one team) once served an admin's (1,000 teams) and ran past statement_timeout.
set plan_cache_mode = force_custom_plan
-- The estimates of the per-row lookups pass jit_above_cost; compiling cost more than these
-- short queries (figures: docs/benchmarks.md, "Figures that explain settings").
set jit = off
as $$
#variable_conflict use_column
declare
  v_lo timestamptz;
  v_hi timestamptz;
  v_users uuid[];
  v_unattributed_leads boolean;
  v_unattributed_sales boolean;
begin
  perform private.traffic_check_range(p_from, p_to);
  v_lo := p_from::timestamp at time zone p_tz;
  v_hi := (p_to + 1)::timestamp at time zone p_tz;
  -- The members the caller may see (RLS), as a constant of this call's plan: one id for a
  -- targetologist, so every read below is a (user_id, date) index range, not a date range of
  -- every team filtered afterwards.
  select coalesce(array_agg(s.user_id), '{}') into v_users
  from public.traffic_targetologist_settings s
  where s.is_active and (p_user_id is null or s.user_id = p_user_id);
  -- The team total (no p_user_id) includes unattributed leads and sales, for a caller who may see
  -- them (RLS: admins; the service role); for anyone else the branch folds away.
  v_unattributed_leads := p_user_id is null
    and exists (select 1 from public.traffic_leads l where l.user_id is null);
  v_unattributed_sales := p_user_id is null
    and exists (select 1 from public.traffic_sales s where s.user_id is null);
  return query
  with days as (
    select d::date as day
    from generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') as d
  ),
  -- One rollup row per user, day and currency: grouped as traffic_metrics_for_range() groups it,
  -- so the sums agree to the digit.
  spend_day as (
    select sd.user_id, sd.stat_date, sd.account_currency as currency, sd.spend,
      sd.impressions, sd.clicks
    from public.traffic_spend_daily sd
    where sd.user_id = any(v_users) and sd.stat_date between p_from and p_to
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
    where l.created_at >= v_lo and l.created_at < v_hi
      and not l.is_deleted
      and (l.user_id = any(v_users) or (v_unattributed_leads and l.user_id is null))
    group by 1
  ),
  sale_days as (
    select (s.sold_at at time zone p_tz)::date as day, count(*) as sales,
      sum(s.sale_amount) as revenue
    from public.traffic_sales s
    where s.sold_at >= v_lo and s.sold_at < v_hi
      and s.status = 'active'
      and (s.user_id = any(v_users) or (v_unattributed_sales and s.user_id is null))
    group by 1
  )
  select d.day,
    coalesce(sp.spend_usd, 0),
    coalesce(sp.spend_kzt, 0),
    coalesce(sp.impressions, 0)::bigint,
    coalesce(sp.clicks, 0)::bigint,
    coalesce(ld.leads, 0)::bigint,
    coalesce(sd.sales, 0)::bigint,
    coalesce(sd.revenue, 0)
  from days d
  left join spend sp on sp.day = d.day
  left join lead_days ld on ld.day = d.day
  left join sale_days sd on sd.day = d.day
  order by d.day;
end
$$;

comment on function public.traffic_daily_series(date, date, text, uuid) is
  'Per-day spend (USD, KZT), impressions, clicks, leads, sales and revenue over [p_from, p_to] in '
  'time zone p_tz (at most 366 days), for what the caller may read (security invoker). '
  'traffic-api GET /daily.';

revoke all on function public.traffic_daily_series(date, date, text, uuid) from public, anon;
grant execute on function public.traffic_daily_series(date, date, text, uuid)
  to authenticated, service_role;
