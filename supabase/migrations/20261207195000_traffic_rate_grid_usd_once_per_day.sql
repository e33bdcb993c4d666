-- The dashboard metrics' rate grid looks each (day, currency) rate up once (issue 11 item 2,
-- misses). private.traffic_metrics_rows (newest: 20261207194400) built its grid of (day, currency)
-- rates with private.traffic_day_rates per row, which looks up the row's currency AND USD: the
-- day's USD rate was read once for every currency of the day (2k + 3 index probes a day for k
-- other currencies: 150 over 30 days at the bench's volume, 2.2 ms of a targetologist's ~4 ms
-- call, EXPLAIN). Now each (day, currency) rate is read once by the rule itself
-- (private.traffic_rate_on: the latest rate on or before the day; 1 for KZT) and each row's USD
-- rate is its day's USD row of the same grid: k + 1 probes a day. Same values: traffic_day_rates
-- is exactly (traffic_rate_on(currency, day), traffic_rate_on('USD', day)); md5 of the 33 answers
-- of 20261207190400's check (targetologists', an admin's and the service role's, 7 / 30 / 365
-- days, three time zones) at a year's volume, old vs new: equal. Backend CPU per call (psql, one
-- transaction per call, a year's volume, 30 days, alternating, load 5.4-6.5): a targetologist's
-- /metrics/range page 4.0 / 4.2 -> 3.0 / 2.8 ms; an admin's page of 50 teams 14 / 14 -> 11 / 11
-- ms. The body is 20261207194400's with only the grid's statement replaced.

create or replace function private.traffic_metrics_rows(
  p_from date,
  p_to date,
  p_tz text,
  p_users uuid[],
  p_period text
)
returns setof public.traffic_aggregated_metrics
language plpgsql
stable
security invoker
set search_path = ''
-- Compiling these short queries costs more than it saves.
set jit = off
-- p_users null (every team) and a few users need different plans (a scan of the range vs index
-- probes per user).
set plan_cache_mode = force_custom_plan
as $$
declare
  -- Admins and service callers also get the team-wide total (user_id null).
  v_sees_all boolean := current_user not in ('anon', 'authenticated')
    or coalesce(private.is_admin(), false);
  -- Every team's figures are computed (for the total) when no team is singled out, and when
  -- p_users is a page of teams with p_period null for a caller who gets the total (traffic-api's
  -- pages: the rows of p_users, the total of every team); otherwise only p_users' (an
  -- incremental run, p_period given; a targetologist's page, which has no total).
  v_every boolean := p_users is null or p_period is null and v_sees_all;
  -- traffic-api's page with the total (p_users, p_period null, a caller who sees every team), in
  -- Asia/Almaty (the lead / sale rollups' days): the total comes from the per-day totals
  -- (20261207113500) less the non-members' rows, and only p_users are computed. Not when a day of
  -- the range has a fractional Meta-leads figure: the total's Meta leads are the sum of each
  -- team's rounded figure, which then differs from the rounded sum (every team is computed then).
  v_page_total boolean;
  v_others uuid[] := '{}';
  v_start timestamptz;
  v_end timestamptz;
  -- The lead / sale rollups are kept in local days of Asia/Almaty.
  v_rollup boolean := p_tz = 'Asia/Almaty';
  -- The rate grid, as parallel arrays (see below).
  v_day date[];
  v_cur text[];
  v_cur_kzt numeric[];
  v_usd_kzt numeric[];
begin
  -- At most 366 days within 2000..2099, refused before any work (issue 12: an unbounded range
  -- held a connection; docs/benchmarks.md).
  perform private.traffic_check_range(p_from, p_to, true);
  v_page_total := p_users is not null and p_period is null and v_sees_all and v_rollup
    and not exists (select 1 from public.traffic_meta_leads_daily m
                    where m.meta_leads <> trunc(m.meta_leads)
                      and m.stat_date between p_from and p_to);
  if v_page_total then
    v_every := false;
    v_others := private.traffic_day_total_others();
  end if;
  -- The query below with a generic plan, made once per connection, for traffic-api's pages of up
  -- to 50 teams that do not compute every team (a targetologist's, an admin's page with the total
  -- from the per-day totals); every other call keeps a plan made for it (see the migration
  -- 20261207190400). The function's SET clause restores plan_cache_mode when it returns.
  if not v_every and current_user = 'authenticated' and cardinality(p_users) <= 50 then
    perform set_config('plan_cache_mode', 'force_generic_plan', true);
  end if;
  -- Local calendar days [p_from, p_to] as instants (raises on an unknown time zone).
  v_start := p_from::timestamp at time zone p_tz;
  v_end := (p_to + 1)::timestamp at time zone p_tz;

  -- The effective rate (latest on or before the day; null when there is none) of every currency
  -- ever stored, plus USD and KZT, on every day of the range: a few hundred index probes. Kept in
  -- arrays so the main query joins them as a plain, parallel-safe unnest(). The currencies ever
  -- stored are read one index entry each (private.traffic_rate_currencies), not from every rate
  -- row of the history.
  with grid as (
    select p_from + d.n as day, c.currency,
      (select r.rate_kzt from private.traffic_rate_on(c.currency, p_from + d.n) as r) as cur_kzt
    from generate_series(0, p_to - p_from) as d(n)
    cross join (select r.currency from private.traffic_rate_currencies() as r
                where r.currency not in ('USD', 'KZT')
                union all select 'USD' union all select 'KZT') as c(currency)
  )
  select array_agg(g.day), array_agg(g.currency), array_agg(g.cur_kzt), array_agg(u.cur_kzt)
  into v_day, v_cur, v_cur_kzt, v_usd_kzt
  from grid as g
  join grid as u on u.day = g.day and u.currency = 'USD';

  return query
  -- Each read below is two branches, p_users' rows (index probes) or, with v_every, the range of
  -- every team: one of them runs, also under a generic plan.
  with members as (
    select s.user_id, s.team_name
    from public.traffic_targetologist_settings s
    where s.is_active and not v_every and s.user_id = any (p_users)
    union all
    select s.user_id, s.team_name
    from public.traffic_targetologist_settings s
    where s.is_active and v_every
  ),
  -- Spend comes from the daily rollup of the raw rows (traffic_spend_daily: one row per user, day
  -- and currency). stat_date is already the ad account's local day. Each day is converted at its
  -- rates by private.traffic_spend_converted (the one conversion rule; a day with spend and no
  -- rate raises TS001, zero-spend days need none).
  spend_user as (
    select r.user_id, sum(x.spend_usd) as spend_usd, sum(x.spend_kzt) as spend_kzt,
      sum(r.impressions) as impressions, sum(r.clicks) as clicks, sum(r.reach) as reach
    from (
      select r.* from public.traffic_spend_daily r
      where not v_every and r.user_id = any (p_users) and r.stat_date between p_from and p_to
      union all
      select r.* from public.traffic_spend_daily r
      where v_every and r.stat_date between p_from and p_to
    ) as r
    join public.traffic_targetologist_settings s on s.user_id = r.user_id and s.is_active
    left join unnest(v_day, v_cur, v_cur_kzt, v_usd_kzt) as g(stat_date, currency, cur_kzt, usd_kzt)
      on g.stat_date = r.stat_date and g.currency = r.account_currency
    cross join lateral private.traffic_spend_converted(r.spend, r.account_currency, r.stat_date,
      g.cur_kzt, g.usd_kzt) as x
    group by r.user_id
  ),
  -- Meta-reported leads (the rule: 20261207002000) from their daily rollup, by stat_date (the ad
  -- account's day) like spend.
  meta_user as (
    select d.user_id, sum(d.meta_leads) as meta_leads
    from (
      select d.* from public.traffic_meta_leads_daily d
      where not v_every and d.user_id = any (p_users) and d.stat_date between p_from and p_to
      union all
      select d.* from public.traffic_meta_leads_daily d
      where v_every and d.stat_date between p_from and p_to
    ) as d
    join public.traffic_targetologist_settings s on s.user_id = d.user_id and s.is_active
    group by d.user_id
  ),
  -- Leads and active sales: from the daily rollups (traffic_leads_daily / traffic_sales_daily,
  -- local days in Asia/Almaty) when the range is in that time zone, else from the rows of the
  -- range. The two branches give identical sums; only one runs.
  lead_counts as (
    select d.user_id, sum(d.leads) as leads,
      sum(d.challenge3d_leads) as challenge3d_leads, sum(d.express_leads) as express_leads,
      sum(d.intensive1d_leads) as intensive1d_leads
    from (
      select d.* from private.traffic_leads_by_day d
      where not v_every and (d.user_id = any (p_users) or d.user_id is null)
        and d.day between p_from and p_to
      union all
      select d.* from private.traffic_leads_by_day d
      where v_every and d.day between p_from and p_to
    ) as d
    where v_rollup
    group by d.user_id
    union all
    select l.user_id, count(*) as leads,
      count(*) filter (where l.product = 'challenge3d') as challenge3d_leads,
      count(*) filter (where l.product = 'express') as express_leads,
      count(*) filter (where l.product = 'intensive1d') as intensive1d_leads
    from (
      select l.* from public.traffic_leads l
      where not v_every and (l.user_id = any (p_users) or l.user_id is null)
        and l.created_at >= v_start and l.created_at < v_end
      union all
      select l.* from public.traffic_leads l
      where v_every and l.created_at >= v_start and l.created_at < v_end
    ) as l
    where not v_rollup and not l.is_deleted
    group by l.user_id
  ),
  -- Net of reversals: only active sales count, on the local day they were sold.
  sale_sums as (
    select d.user_id,
      sum(d.challenge3d_prepayments) as c3d_pre,
      sum(d.challenge3d_prepayment_revenue) as c3d_pre_rev,
      sum(d.challenge3d_full_payments) as c3d_full,
      sum(d.challenge3d_full_revenue) as c3d_full_rev,
      sum(d.express_sales) as express, sum(d.express_revenue) as express_rev,
      sum(d.intensive1d_sales) as intensive1d, sum(d.intensive1d_revenue) as intensive1d_rev
    from (
      select d.* from private.traffic_sales_by_day d
      where not v_every and (d.user_id = any (p_users) or d.user_id is null)
        and d.day between p_from and p_to
      union all
      select d.* from private.traffic_sales_by_day d
      where v_every and d.day between p_from and p_to
    ) as d
    where v_rollup
    group by d.user_id
    union all
    select s.user_id,
      count(*) filter (where s.product = 'challenge3d' and s.sale_type = 'prepayment') as c3d_pre,
      coalesce(sum(s.sale_amount) filter (
        where s.product = 'challenge3d' and s.sale_type = 'prepayment'), 0) as c3d_pre_rev,
      count(*) filter (where s.product = 'challenge3d' and s.sale_type = 'full') as c3d_full,
      coalesce(sum(s.sale_amount) filter (
        where s.product = 'challenge3d' and s.sale_type = 'full'), 0) as c3d_full_rev,
      count(*) filter (where s.product = 'express') as express,
      coalesce(sum(s.sale_amount) filter (where s.product = 'express'), 0) as express_rev,
      count(*) filter (where s.product = 'intensive1d') as intensive1d,
      coalesce(sum(s.sale_amount) filter (where s.product = 'intensive1d'), 0) as intensive1d_rev
    from (
      select s.* from public.traffic_sales s
      where not v_every and (s.user_id = any (p_users) or s.user_id is null)
        and s.sold_at >= v_start and s.sold_at < v_end
      union all
      select s.* from public.traffic_sales s
      where v_every and s.sold_at >= v_start and s.sold_at < v_end
    ) as s
    where not v_rollup and s.status = 'active'
    group by s.user_id
  ),
  -- One part per member computed, plus the unattributed leads and sales (user_id null), which
  -- only the team total includes.
  parts_all as (
    select m.user_id, m.team_name,
      coalesce(su.spend_usd, 0) as spend_usd, coalesce(su.spend_kzt, 0) as spend_kzt,
      coalesce(su.impressions, 0) as impressions, coalesce(su.clicks, 0) as clicks,
      coalesce(su.reach, 0) as reach,
      coalesce(lc.leads, 0) as leads, coalesce(lc.challenge3d_leads, 0) as challenge3d_leads,
      coalesce(lc.express_leads, 0) as express_leads,
      coalesce(lc.intensive1d_leads, 0) as intensive1d_leads,
      coalesce(ss.c3d_pre, 0) as c3d_pre, coalesce(ss.c3d_pre_rev, 0) as c3d_pre_rev,
      coalesce(ss.c3d_full, 0) as c3d_full, coalesce(ss.c3d_full_rev, 0) as c3d_full_rev,
      coalesce(ss.express, 0) as express, coalesce(ss.express_rev, 0) as express_rev,
      coalesce(ss.intensive1d, 0) as intensive1d,
      coalesce(ss.intensive1d_rev, 0) as intensive1d_rev,
      0::bigint as unattributed_leads,
      -- Whole leads per team (Meta reports counts); the total adds the teams' figures.
      round(coalesce(mu.meta_leads, 0)) as meta_leads
    from members m
    left join meta_user mu on mu.user_id = m.user_id
    left join spend_user su on su.user_id = m.user_id
    left join lead_counts lc on lc.user_id = m.user_id
    left join sale_sums ss on ss.user_id = m.user_id
  ),
  unattributed as (
    select null::uuid as user_id, null::text as team_name,
      0::numeric as spend_usd, 0::numeric as spend_kzt, 0::numeric as impressions,
      0::numeric as clicks, 0::numeric as reach,
      coalesce(lc.leads, 0), coalesce(lc.challenge3d_leads, 0), coalesce(lc.express_leads, 0),
      coalesce(lc.intensive1d_leads, 0),
      coalesce(ss.c3d_pre, 0), coalesce(ss.c3d_pre_rev, 0), coalesce(ss.c3d_full, 0),
      coalesce(ss.c3d_full_rev, 0), coalesce(ss.express, 0), coalesce(ss.express_rev, 0),
      coalesce(ss.intensive1d, 0), coalesce(ss.intensive1d_rev, 0),
      coalesce(lc.leads, 0) as unattributed_leads,
      0::numeric as meta_leads
    from (select 1) as one
    left join lead_counts lc on lc.user_id is null
    left join sale_sums ss on ss.user_id is null
  ),
  -- The page's total from the per-day totals: every user's sums of the range less the
  -- non-members' rows (the unattributed leads and sales are among every user's). Spend is
  -- converted per (day, currency) sum (see 20261207113600 on the exactness of spend_usd).
  spend_all as (
    select coalesce(sum(x.spend_usd), 0) as spend_usd, coalesce(sum(x.spend_kzt), 0) as spend_kzt,
      coalesce(sum(t.impressions), 0) as impressions, coalesce(sum(t.clicks), 0) as clicks,
      coalesce(sum(t.reach), 0) as reach
    from (
      select a.stat_date, a.account_currency, a.spend, a.impressions, a.clicks, a.reach
      from private.traffic_members_spend_by_day(p_from, p_to, v_others) as a
      where v_page_total
    ) as t
    left join unnest(v_day, v_cur, v_cur_kzt, v_usd_kzt) as g(stat_date, currency, cur_kzt, usd_kzt)
      on g.stat_date = t.stat_date and g.currency = t.account_currency
    cross join lateral private.traffic_spend_converted(t.spend, t.account_currency, t.stat_date,
      g.cur_kzt, g.usd_kzt) as x
  ),
  leads_all as (
    select coalesce(sum(a.leads), 0) as leads,
      coalesce(sum(a.challenge3d_leads), 0) as challenge3d_leads,
      coalesce(sum(a.express_leads), 0) as express_leads,
      coalesce(sum(a.intensive1d_leads), 0) as intensive1d_leads
    from private.traffic_members_leads_by_day(p_from, p_to, v_others) as a
    where v_page_total
  ),
  sales_all as (
    select coalesce(sum(a.challenge3d_prepayments), 0) as c3d_pre,
      coalesce(sum(a.challenge3d_prepayment_revenue), 0) as c3d_pre_rev,
      coalesce(sum(a.challenge3d_full_payments), 0) as c3d_full,
      coalesce(sum(a.challenge3d_full_revenue), 0) as c3d_full_rev,
      coalesce(sum(a.express_sales), 0) as express,
      coalesce(sum(a.express_revenue), 0) as express_rev,
      coalesce(sum(a.intensive1d_sales), 0) as intensive1d,
      coalesce(sum(a.intensive1d_revenue), 0) as intensive1d_rev
    from private.traffic_members_sales_by_day(p_from, p_to, v_others) as a
    where v_page_total
  ),
  meta_all as (
    select coalesce(sum(a.meta_leads), 0) as meta_leads
    from private.traffic_members_meta_leads_by_day(p_from, p_to, v_others) as a
    where v_page_total
  ),
  -- An incremental run (p_users given) recomputes only those teams: the team total adds the
  -- stored rows of the period (p_period, same window) of every other active team. Their columns
  -- are the same exact sums (numeric, unrounded), so the total equals a full recompute's.
  kept as (
    select t.user_id, t.team_name, t.spend_usd, t.spend_kzt, t.impressions::numeric,
      t.clicks::numeric, t.reach::numeric, t.leads::bigint, t.challenge3d_leads::bigint,
      t.express_leads::bigint, t.intensive1d_leads::bigint,
      t.challenge3d_prepayments::bigint, t.challenge3d_prepayment_revenue,
      t.challenge3d_full_payments::bigint, t.challenge3d_full_revenue,
      t.express_sales::bigint, t.express_revenue, t.intensive1d_sales::bigint,
      t.intensive1d_revenue, 0::bigint, t.meta_leads::numeric
    from public.traffic_aggregated_metrics t
    join public.traffic_targetologist_settings s on s.user_id = t.user_id and s.is_active
    where p_users is not null and t.period = p_period and t.period_start = p_from
      and t.period_end = p_to and t.user_id <> all (p_users)
  ),
  -- The rows answered: every member, or only p_users.
  parts as (
    select * from parts_all p where p_users is null or p.user_id = any (p_users)
  ),
  team_rows as (
    select * from parts
    union all
    select null::uuid, 'All teams', sum(a.spend_usd), sum(a.spend_kzt), sum(a.impressions),
      sum(a.clicks), sum(a.reach), sum(a.leads), sum(a.challenge3d_leads), sum(a.express_leads),
      sum(a.intensive1d_leads), sum(a.c3d_pre), sum(a.c3d_pre_rev), sum(a.c3d_full),
      sum(a.c3d_full_rev), sum(a.express), sum(a.express_rev), sum(a.intensive1d),
      sum(a.intensive1d_rev), sum(a.unattributed_leads), sum(a.meta_leads)
    from (select * from parts_all union all select * from kept
          union all select * from unattributed) as a
    having v_sees_all and not v_page_total
    union all
    select null::uuid, 'All teams', s.spend_usd, s.spend_kzt, s.impressions, s.clicks, s.reach,
      l.leads, l.challenge3d_leads, l.express_leads, l.intensive1d_leads, sa.c3d_pre,
      sa.c3d_pre_rev, sa.c3d_full, sa.c3d_full_rev, sa.express, sa.express_rev, sa.intensive1d,
      sa.intensive1d_rev, u.unattributed_leads, m.meta_leads
    from spend_all s, leads_all l, sales_all sa, meta_all m, unattributed u
    where v_page_total
  ),
  totals as (
    select t.*,
      t.c3d_pre_rev + t.c3d_full_rev + t.express_rev + t.intensive1d_rev as total_revenue,
      t.c3d_pre + t.c3d_full + t.express + t.intensive1d as total_sales
    from team_rows t
  )
  -- Column order of public.traffic_aggregated_metrics. Ratios are null when the divisor is 0.
  select null::bigint, t.user_id, t.team_name, 'custom'::text, p_from, p_to,
    t.spend_usd::numeric, t.spend_kzt::numeric,
    (t.spend_kzt / nullif(t.spend_usd, 0))::numeric,
    t.impressions::bigint, t.clicks::bigint, t.reach::bigint,
    t.leads::int, t.challenge3d_leads::int, t.express_leads::int, t.intensive1d_leads::int,
    t.c3d_pre::int, t.c3d_pre_rev::numeric, t.c3d_full::int, t.c3d_full_rev::numeric,
    (t.c3d_pre_rev + t.c3d_full_rev)::numeric,
    t.express::int, t.express_rev::numeric, t.intensive1d::int, t.intensive1d_rev::numeric,
    t.total_revenue::numeric, t.total_sales::int,
    (t.total_revenue / nullif(t.spend_kzt, 0))::numeric,
    (t.spend_usd / nullif(t.total_sales, 0))::numeric,
    (t.clicks::numeric / nullif(t.impressions, 0))::numeric,
    (t.spend_usd / nullif(t.clicks, 0))::numeric,
    (t.spend_usd * 1000 / nullif(t.impressions, 0))::numeric,
    (t.spend_usd / nullif(t.leads, 0))::numeric,
    (t.total_sales::numeric / nullif(t.leads, 0))::numeric,
    t.unattributed_leads::int,
    now(), now(),
    -- Meta leads and the gap to the CRM's leads (this row's leads: for the team total, every
    -- lead incl. unattributed ones); the % is of Meta's figure, null when Meta reports none.
    round(t.meta_leads)::int,
    (round(t.meta_leads) - t.leads)::int,
    ((round(t.meta_leads) - t.leads) * 100 / nullif(round(t.meta_leads), 0))::numeric
  from totals t
  order by t.user_id nulls last;
end
$$;
comment on function private.traffic_metrics_rows(date, date, text, uuid[], text) is
  'THE definition of every dashboard metric (see traffic_metrics_for_range). p_users null: every '
  'active targetologist and, for admins and service callers, the team total. p_users and '
  'p_period given (the incremental aggregation run): only those targetologists, and the total '
  'made of their fresh figures, the stored p_period rows of every other active team (same '
  'window) and the unattributed leads and sales. p_users given, p_period null (traffic-api''s '
  'pages of teams): the rows of those targetologists only, and the same total as with p_users '
  'null (every active team computed fresh, plus the unattributed leads and sales).';
revoke all on function private.traffic_metrics_rows(date, date, text, uuid[], text)
  from public, anon;
grant execute on function private.traffic_metrics_rows(date, date, text, uuid[], text)
  to authenticated, service_role;
