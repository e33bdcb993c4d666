-- An admin's GET /daily subtracts the Meta-lead rows of the users outside the active teams
-- (private.traffic_day_total_others()). Written as a bare call inside = any (...), the stable
-- function is evaluated for every Meta-lead rollup row of the range (each call reads auth.users
-- and the settings); as a scalar subquery it is one InitPlan, evaluated once per call (review R5
-- L1). public.traffic_api_daily is redefined from 20261207113600; only that expression changed.

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
        and md.user_id = any ((select private.traffic_day_total_others())::uuid[])
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
