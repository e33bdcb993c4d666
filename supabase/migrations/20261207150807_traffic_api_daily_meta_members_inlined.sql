-- GET /daily's Meta leads: private.traffic_members_meta_leads_by_day inlined again, and not run
-- for a caller who does not see every team.
--
-- 20261207143454 passed the non-members to it as a sub-select argument
-- ((select private.traffic_day_total_others())): a set-returning SQL function whose argument
-- holds a sub-select is not inlined, so it ran as a Function Scan, and the filter on the caller
-- (all_teams) stood outside it: a targetologist's /daily read the Meta totals of the range for
-- nothing (RLS hid them). Now the non-members come from the scope CTE (evaluated once per call,
-- and only for a caller who sees every team) and the function is called LATERAL after it, so the
-- planner inlines it and a false all_teams skips it. The body is 20261207143454's otherwise.

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
  -- (and, for that caller only, the non-members, once per call)
  with scope as (
    select x.all_teams,
      case when x.all_teams then private.traffic_day_total_others() else '{}'::uuid[] end
        as others
    from (select p_user_id is null
            and (current_user not in ('anon', 'authenticated')
                 or coalesce(private.is_admin(), false)) as all_teams) as x
  ),
  meta as (
    select md.stat_date, round(sum(md.meta_leads))::bigint as meta_leads
    from public.traffic_meta_leads_daily md
    join public.traffic_targetologist_settings s on s.user_id = md.user_id and s.is_active
    where not (select all_teams from scope) and md.stat_date between p_from and p_to
      and (p_user_id is null or md.user_id = p_user_id)
    group by md.stat_date
    union all
    select t.stat_date, round(t.meta_leads)::bigint
    from scope
    cross join lateral private.traffic_members_meta_leads_by_day(p_from, p_to, scope.others) as t
    where scope.all_teams
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

