-- GET /daily's series reuses one generic plan per connection (issue 11 item 2, misses).
--
-- public.traffic_daily_series (newest: 20261207143454) runs with plan_cache_mode =
-- force_custom_plan: its one query (a CTE over spend, leads and sales, with the per-day totals and
-- the inlined rule functions) was planned, and every inlined SQL function parsed again, on every
-- call: perf on the dev stack put ~57% of an admin's call in the planner. With a generic plan the
-- SQL CPU per call (psql, 100 calls, backend utime + stime, a year's volume, the new definition
-- applied inside a rolled-back transaction, two alternating pairs) went for traffic_api_daily_answer
-- over 30 days: admin 5.1 / 5.0 -> 3.6 / 3.4 ms, targetologist 4.5 / 3.7 -> 1.2 / 1.5 ms; the
-- series over a year, targetologist 7.5 -> 3.5 ms; in UTC over 30 days, targetologist 3.0 -> 0.5 ms.
-- One case was worse: an admin in another time zone than Asia/Almaty (every team's lead and sale
-- rows of the range, not the per-day totals) 24 -> 66 ms, so that caller keeps a plan made per
-- call. The answers are the same bytes (md5 of the /daily answer for both callers, Asia/Almaty
-- and UTC, one team over a year, the series over 365 and 100 days, old vs new: equal).
-- The body is 20261207143454's with only the plan choice added.

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
-- Plans are made for each call's own parameters (a plan cached from a targetologist's calls
-- once served an admin's over every team's rows and ran past statement_timeout), except for the
-- query of the callers below whose generic plan was measured cheaper.
set plan_cache_mode = force_custom_plan
-- The estimates of the per-row lookups pass jit_above_cost; compiling took ~230 ms of a ~250 ms
-- call at a year's volume, for queries that run in milliseconds.
set jit = off
as $$
#variable_conflict use_column
declare
  v_lo timestamptz;
  v_hi timestamptz;
  v_users uuid[];
  v_unattributed_leads boolean;
  v_unattributed_sales boolean;
  -- Every team, for a caller who sees every team: read the per-day totals (20261207113500).
  v_all boolean := p_user_id is null
    and (current_user not in ('anon', 'authenticated') or coalesce(private.is_admin(), false));
  -- Leads and sales from the totals too: they are kept in local days of Asia/Almaty.
  v_all_days boolean := v_all and p_tz = 'Asia/Almaty';
  -- The users the totals hold who are not active members (subtracted).
  v_others uuid[] := '{}';
begin
  perform private.traffic_check_range(p_from, p_to);
  v_lo := p_from::timestamp at time zone p_tz;
  v_hi := (p_to + 1)::timestamp at time zone p_tz;
  -- The members the caller may see (private.traffic_visible_members), as a constant of this
  -- call's plan: one id for a targetologist, so every read below is a (user_id, date) index
  -- range, not a date range of every team filtered afterwards.
  v_users := private.traffic_visible_members(p_user_id);
  if v_all then
    v_others := private.traffic_day_total_others();
  end if;
  -- The query below with a generic plan, made once per connection, for every caller but an
  -- admin in another time zone than the totals' (who reads every team's lead and sale rows of
  -- the range, and needs a plan made for that call). Planning the query for each call was most
  -- of its CPU (docs/benchmarks.md, camp's 2026-12-07 section). The function's SET clause
  -- restores plan_cache_mode when it returns.
  if not v_all or v_all_days then
    perform set_config('plan_cache_mode', 'force_generic_plan', true);
  end if;
  -- The team total (no p_user_id) includes unattributed leads and sales, for a caller who may see
  -- them (RLS: admins; the service role); for anyone else the branch folds away.
  -- (Not asked when the totals answer: they hold the unattributed leads and sales.)
  v_unattributed_leads := p_user_id is null and not v_all_days
    and exists (select 1 from public.traffic_leads l where l.user_id is null);
  v_unattributed_sales := p_user_id is null and not v_all_days
    and exists (select 1 from public.traffic_sales s where s.user_id is null);
  return query
  with days as (
    select d::date as day
    from generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') as d
  ),
  -- One rollup row per user, day and currency: grouped as traffic_metrics_for_range() groups it,
  -- so the sums agree to the digit.
  spend_day as (
    select sd.stat_date, sd.account_currency as currency, sd.spend, sd.impressions::numeric,
      sd.clicks::numeric
    from public.traffic_spend_daily sd
    where not v_all and sd.user_id = any(v_users) and sd.stat_date between p_from and p_to
    union all
    -- The active members' sums per (day, currency): private.traffic_members_spend_by_day.
    select t.stat_date, t.account_currency, t.spend, t.impressions, t.clicks
    from private.traffic_members_spend_by_day(p_from, p_to, v_others) as t
    where v_all
  ),
  day_rate as (
    select d.stat_date, d.currency, x.cur_kzt, x.usd_kzt
    from (select distinct sd.stat_date, sd.currency from spend_day sd where sd.spend <> 0) d
    cross join lateral private.traffic_day_rates(d.currency, d.stat_date) x
  ),
  spend as (
    select sd.stat_date as day, sum(x.spend_usd) as spend_usd, sum(x.spend_kzt) as spend_kzt,
      sum(sd.impressions)::bigint as impressions,
      sum(sd.clicks)::bigint as clicks
    from spend_day sd
    left join day_rate r on r.stat_date = sd.stat_date and r.currency = sd.currency
    cross join lateral private.traffic_spend_converted(sd.spend, sd.currency, sd.stat_date,
      r.cur_kzt, r.usd_kzt) as x
    group by sd.stat_date
  ),
  lead_days as (
    select (l.created_at at time zone p_tz)::date as day, count(*) as leads
    from public.traffic_leads l
    where not v_all_days and l.created_at >= v_lo and l.created_at < v_hi
      and not l.is_deleted
      and (l.user_id = any(v_users) or (v_unattributed_leads and l.user_id is null))
    group by 1
    union all
    -- The active members' leads (the unattributed ones too) per local day.
    select t.day, t.leads
    from private.traffic_members_leads_by_day(p_from, p_to, v_others) as t
    where v_all_days and t.leads <> 0
  ),
  sale_days as (
    select (s.sold_at at time zone p_tz)::date as day, count(*) as sales,
      sum(s.sale_amount) as revenue
    from public.traffic_sales s
    where not v_all_days and s.sold_at >= v_lo and s.sold_at < v_hi
      and s.status = 'active'
      and (s.user_id = any(v_users) or (v_unattributed_sales and s.user_id is null))
    group by 1
    union all
    select t.day, t.sales, t.revenue
    from (
      select d.day,
        d.challenge3d_prepayments + d.challenge3d_full_payments + d.express_sales
          + d.intensive1d_sales as sales,
        d.challenge3d_prepayment_revenue + d.challenge3d_full_revenue + d.express_revenue
          + d.intensive1d_revenue as revenue
      from private.traffic_members_sales_by_day(p_from, p_to, v_others) as d
      where v_all_days
    ) as t
    where t.sales <> 0
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
