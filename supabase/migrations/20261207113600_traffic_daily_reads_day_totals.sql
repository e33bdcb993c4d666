-- GET /daily for a caller who sees every team (an admin, the service role) without user_id reads
-- the per-day totals (20261207113500) instead of every team's rollup rows and the leads and sales
-- of the range row by row: O(days) rows plus the rows of the few users who are not active
-- members (subtracted), where it read ~25k spend rows and ~25k leads at a year's volume.
-- traffic_daily_series: the body is 20261207023509's with a second source for spend_day /
-- lead_days / sale_days taken when v_all (leads and sales only in Asia/Almaty, the rollups' time
-- zone; another zone reads the rows as before). Spend is then converted per (day, currency) sum
-- instead of per (user, day, currency): spend_kzt (spend x rate) is the same exact number; a
-- non-USD spend_usd (spend x cur_kzt / usd_kzt) is a sum of quotients vs the quotient of the sum,
-- which differ below 1e-12 (numeric division keeps >= 16 significant digits), far under the cent
-- the API rounds to (the integration test compares every answer's bytes with the rows-read
-- computation after random writes). Counts, revenue and Meta leads are exact sums either way.
-- traffic_api_daily: 20261207051700's with the Meta leads of the same two sources.

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
    -- Every user's sum per (day, currency), less the users who are not active members.
    select t.stat_date, t.account_currency, sum(t.spend), sum(t.impressions), sum(t.clicks)
    from (
      select s.stat_date, s.account_currency, s.spend, s.impressions, s.clicks
      from private.traffic_spend_day_totals s
      where v_all and s.stat_date between p_from and p_to
      union all
      select sd.stat_date, sd.account_currency, -sd.spend, -sd.impressions, -sd.clicks
      from public.traffic_spend_daily sd
      where v_all and sd.user_id = any(v_others) and sd.stat_date between p_from and p_to
    ) as t
    group by t.stat_date, t.account_currency
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
    -- Every user's leads (the unattributed ones too) per local day, less the non-members'.
    select t.day, sum(t.leads)
    from (
      select d.day, d.leads from private.traffic_leads_day_totals d
      where v_all_days and d.day between p_from and p_to
      union all
      select d.day, -d.leads from private.traffic_leads_by_day d
      where v_all_days and d.user_id = any(v_others) and d.day between p_from and p_to
    ) as t
    group by t.day
    having sum(t.leads) <> 0
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
    select t.day, sum(t.sales), sum(t.revenue)
    from (
      select d.day,
        d.challenge3d_prepayments + d.challenge3d_full_payments + d.express_sales
          + d.intensive1d_sales as sales,
        d.challenge3d_prepayment_revenue + d.challenge3d_full_revenue + d.express_revenue
          + d.intensive1d_revenue as revenue
      from private.traffic_sales_day_totals d
      where v_all_days and d.day between p_from and p_to
      union all
      select d.day,
        -(d.challenge3d_prepayments + d.challenge3d_full_payments + d.express_sales
          + d.intensive1d_sales),
        -(d.challenge3d_prepayment_revenue + d.challenge3d_full_revenue + d.express_revenue
          + d.intensive1d_revenue)
      from private.traffic_sales_by_day d
      where v_all_days and d.user_id = any(v_others) and d.day between p_from and p_to
    ) as t
    group by t.day
    having sum(t.sales) <> 0
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
  -- Every team for a caller who sees every team: the per-day totals less the non-members.
  with scope as (
    select p_user_id is null
      and (current_user not in ('anon', 'authenticated') or coalesce(private.is_admin(), false))
      as all_teams
  ),
  meta as (
    select md.stat_date, round(sum(md.meta_leads))::bigint as meta_leads
    from public.traffic_meta_leads_daily md
    join public.traffic_targetologist_settings s on s.user_id = md.user_id and s.is_active
    where not (select all_teams from scope) and md.stat_date between p_from and p_to
      and (p_user_id is null or md.user_id = p_user_id)
    group by md.stat_date
    union all
    select t.stat_date, round(sum(t.meta_leads))::bigint
    from (
      select x.stat_date, x.meta_leads from private.traffic_meta_leads_day_totals x
      where (select all_teams from scope) and x.stat_date between p_from and p_to
      union all
      select md.stat_date, -md.meta_leads from public.traffic_meta_leads_daily md
      where (select all_teams from scope) and md.stat_date between p_from and p_to
        and md.user_id = any (private.traffic_day_total_others())
    ) as t
    group by t.stat_date
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

