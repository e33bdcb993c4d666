-- The three periods of an aggregation run in one pass (issue 11 item 3: a full run over 10,000
-- targetologists within 2 s). private.traffic_metrics_rows (20261207030020) took one period, so a
-- run called it three times: three scans of the rollups, the 30-day spend rows converted at their
-- rates again for 7d and today, the members joined three times. It now takes a list of named
-- periods (p_periods, p_from, p_to): the rollup rows of their whole span are read once, each spend
-- row converted once (materialized), and counted in every period that holds its day; the output
-- row's period is the name given. The rules are unchanged (its body otherwise as 030020);
-- traffic_metrics_for_range (one period, 'custom') and traffic_aggregate_metrics (today, 7d, 30d;
-- otherwise as 20261207030030) call it.

drop function private.traffic_metrics_rows(date, date, text, uuid[], text);

create or replace function private.traffic_metrics_rows(
  p_periods text[],
  p_from date[],
  p_to date[],
  p_tz text,
  p_users uuid[]
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
  -- The span of all the periods: the rollups are read once over it.
  v_lo date;
  v_hi date;
  i int;
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
  for i in 1 .. coalesce(cardinality(p_periods), 0) loop
    perform private.traffic_check_range(p_from[i], p_to[i], true);
  end loop;
  v_lo := (select min(f) from unnest(p_from) as f);
  v_hi := (select max(t) from unnest(p_to) as t);
  -- Raises on an unknown time zone before any work.
  perform now() at time zone p_tz;

  -- The effective rate (latest on or before the day; null when there is none) of every currency
  -- ever stored, plus USD and KZT, on every day of the range: a few hundred index probes. Kept in
  -- arrays so the main query joins them as a plain, parallel-safe unnest().
  select array_agg(v_lo + d.n), array_agg(c.currency), array_agg(x.cur_kzt),
    array_agg(x.usd_kzt)
  into v_day, v_cur, v_cur_kzt, v_usd_kzt
  from generate_series(0, v_hi - v_lo) as d(n)
  cross join (select distinct e.currency from public.exchange_rates e
              where e.currency not in ('USD', 'KZT')
              union all select 'USD' union all select 'KZT') as c(currency)
  cross join lateral private.traffic_day_rates(c.currency, v_lo + d.n) as x;

  return query
  with periods as (
    -- Each period's local calendar days, and the same as instants (for the rows of another time
    -- zone).
    select p.period, p.p_start, p.p_end, p.p_start::timestamp at time zone p_tz as t_start,
      (p.p_end + 1)::timestamp at time zone p_tz as t_end
    from unnest(p_periods, p_from, p_to) as p(period, p_start, p_end)
  ),
  members as (
    select s.user_id, s.team_name
    from public.traffic_targetologist_settings s
    where s.is_active and (p_users is null or s.user_id = any (p_users))
  ),
  -- Spend comes from the daily rollup of the raw rows (traffic_spend_daily: one row per user, day
  -- and currency). stat_date is already the ad account's local day. Each day is converted at its
  -- rates by private.traffic_spend_converted (the one conversion rule; a day with spend and no
  -- rate raises TS001, zero-spend days need none).
  -- Each rollup row is converted once, then counted in every period that holds its day.
  spend_days as materialized (
    select r.user_id, r.stat_date, x.spend_usd, x.spend_kzt, r.impressions, r.clicks, r.reach
    from public.traffic_spend_daily r
    join public.traffic_targetologist_settings s on s.user_id = r.user_id and s.is_active
    left join unnest(v_day, v_cur, v_cur_kzt, v_usd_kzt) as g(stat_date, currency, cur_kzt, usd_kzt)
      on g.stat_date = r.stat_date and g.currency = r.account_currency
    cross join lateral private.traffic_spend_converted(r.spend, r.account_currency, r.stat_date,
      g.cur_kzt, g.usd_kzt) as x
    where r.stat_date between v_lo and v_hi
      and (p_users is null or r.user_id = any (p_users))
  ),
  spend_user as (
    select p.period, r.user_id, sum(r.spend_usd) as spend_usd, sum(r.spend_kzt) as spend_kzt,
      sum(r.impressions) as impressions, sum(r.clicks) as clicks, sum(r.reach) as reach
    from spend_days r
    join periods p on r.stat_date between p.p_start and p.p_end
    group by p.period, r.user_id
  ),
  -- Meta-reported leads (the rule: 20261207002000) from their daily rollup, by stat_date (the ad
  -- account's day) like spend.
  meta_user as (
    select p.period, d.user_id, sum(d.meta_leads) as meta_leads
    from public.traffic_meta_leads_daily d
    join public.traffic_targetologist_settings s on s.user_id = d.user_id and s.is_active
    join periods p on d.stat_date between p.p_start and p.p_end
    where d.stat_date between v_lo and v_hi
      and (p_users is null or d.user_id = any (p_users))
    group by p.period, d.user_id
  ),
  -- Leads and active sales: from the daily rollups (traffic_leads_daily / traffic_sales_daily,
  -- local days in Asia/Almaty) when the range is in that time zone, else from the rows of the
  -- range. The two branches give identical sums; only one runs.
  lead_counts as (
    select p.period, d.user_id, sum(d.leads) as leads,
      sum(d.challenge3d_leads) as challenge3d_leads, sum(d.express_leads) as express_leads,
      sum(d.intensive1d_leads) as intensive1d_leads
    from private.traffic_leads_by_day d
    join periods p on d.day between p.p_start and p.p_end
    where v_rollup and d.day between v_lo and v_hi
      and (p_users is null or d.user_id = any (p_users) or d.user_id is null)
    group by p.period, d.user_id
    union all
    select p.period, l.user_id, count(*) as leads,
      count(*) filter (where l.product = 'challenge3d') as challenge3d_leads,
      count(*) filter (where l.product = 'express') as express_leads,
      count(*) filter (where l.product = 'intensive1d') as intensive1d_leads
    from public.traffic_leads l
    join periods p on l.created_at >= p.t_start and l.created_at < p.t_end
    where not v_rollup and not l.is_deleted
      and (p_users is null or l.user_id = any (p_users) or l.user_id is null)
    group by p.period, l.user_id
  ),
  -- Net of reversals: only active sales count, on the local day they were sold.
  sale_sums as (
    select p.period, d.user_id,
      sum(d.challenge3d_prepayments) as c3d_pre,
      sum(d.challenge3d_prepayment_revenue) as c3d_pre_rev,
      sum(d.challenge3d_full_payments) as c3d_full,
      sum(d.challenge3d_full_revenue) as c3d_full_rev,
      sum(d.express_sales) as express, sum(d.express_revenue) as express_rev,
      sum(d.intensive1d_sales) as intensive1d, sum(d.intensive1d_revenue) as intensive1d_rev
    from private.traffic_sales_by_day d
    join periods p on d.day between p.p_start and p.p_end
    where v_rollup and d.day between v_lo and v_hi
      and (p_users is null or d.user_id = any (p_users) or d.user_id is null)
    group by p.period, d.user_id
    union all
    select p.period, s.user_id,
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
    from public.traffic_sales s
    join periods p on s.sold_at >= p.t_start and s.sold_at < p.t_end
    where not v_rollup and s.status = 'active'
      and (p_users is null or s.user_id = any (p_users) or s.user_id is null)
    group by p.period, s.user_id
  ),
  -- One part per member, plus the unattributed leads and sales (user_id null), which only the
  -- team total includes.
  parts as (
    select p.period, m.user_id, m.team_name,
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
    cross join periods p
    left join meta_user mu on mu.period = p.period and mu.user_id = m.user_id
    left join spend_user su on su.period = p.period and su.user_id = m.user_id
    left join lead_counts lc on lc.period = p.period and lc.user_id = m.user_id
    left join sale_sums ss on ss.period = p.period and ss.user_id = m.user_id
  ),
  unattributed as (
    select p.period, null::uuid as user_id, null::text as team_name,
      0::numeric as spend_usd, 0::numeric as spend_kzt, 0::numeric as impressions,
      0::numeric as clicks, 0::numeric as reach,
      coalesce(lc.leads, 0), coalesce(lc.challenge3d_leads, 0), coalesce(lc.express_leads, 0),
      coalesce(lc.intensive1d_leads, 0),
      coalesce(ss.c3d_pre, 0), coalesce(ss.c3d_pre_rev, 0), coalesce(ss.c3d_full, 0),
      coalesce(ss.c3d_full_rev, 0), coalesce(ss.express, 0), coalesce(ss.express_rev, 0),
      coalesce(ss.intensive1d, 0), coalesce(ss.intensive1d_rev, 0),
      coalesce(lc.leads, 0) as unattributed_leads,
      0::numeric as meta_leads
    from periods p
    left join lead_counts lc on lc.period = p.period and lc.user_id is null
    left join sale_sums ss on ss.period = p.period and ss.user_id is null
  ),
  -- An incremental run (p_users given) recomputes only those teams: the team total adds the
  -- stored rows of the period (same name and window) of every other active team. Their columns
  -- are the same exact sums (numeric, unrounded), so the total equals a full recompute's.
  kept as (
    select p.period, t.user_id, t.team_name, t.spend_usd, t.spend_kzt, t.impressions::numeric,
      t.clicks::numeric, t.reach::numeric, t.leads::bigint, t.challenge3d_leads::bigint,
      t.express_leads::bigint, t.intensive1d_leads::bigint,
      t.challenge3d_prepayments::bigint, t.challenge3d_prepayment_revenue,
      t.challenge3d_full_payments::bigint, t.challenge3d_full_revenue,
      t.express_sales::bigint, t.express_revenue, t.intensive1d_sales::bigint,
      t.intensive1d_revenue, 0::bigint, t.meta_leads::numeric
    from periods p
    join public.traffic_aggregated_metrics t
      on t.period = p.period and t.period_start = p.p_start and t.period_end = p.p_end
    join public.traffic_targetologist_settings s on s.user_id = t.user_id and s.is_active
    where p_users is not null and t.user_id <> all (p_users)
  ),
  team_rows as (
    select * from parts
    union all
    select a.period, null::uuid, 'All teams', sum(a.spend_usd), sum(a.spend_kzt), sum(a.impressions),
      sum(a.clicks), sum(a.reach), sum(a.leads), sum(a.challenge3d_leads), sum(a.express_leads),
      sum(a.intensive1d_leads), sum(a.c3d_pre), sum(a.c3d_pre_rev), sum(a.c3d_full),
      sum(a.c3d_full_rev), sum(a.express), sum(a.express_rev), sum(a.intensive1d),
      sum(a.intensive1d_rev), sum(a.unattributed_leads), sum(a.meta_leads)
    from (select * from parts union all select * from kept
          union all select * from unattributed) as a
    where v_sees_all
    group by a.period
  ),
  totals as (
    select t.*,
      t.c3d_pre_rev + t.c3d_full_rev + t.express_rev + t.intensive1d_rev as total_revenue,
      t.c3d_pre + t.c3d_full + t.express + t.intensive1d as total_sales
    from team_rows t
  )
  -- Column order of public.traffic_aggregated_metrics. Ratios are null when the divisor is 0.
  select null::bigint, t.user_id, t.team_name, t.period, p.p_start, p.p_end,
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
  join periods p on p.period = t.period
  order by p.p_start desc, t.user_id nulls last;
end
$$;
comment on function private.traffic_metrics_rows(text[], date[], date[], text, uuid[]) is
  'THE definition of every dashboard metric (see traffic_metrics_for_range), for each named '
  'period (p_periods, local days p_from..p_to in p_tz; the row''s period is its name). p_users '
  'null: every active targetologist and, for admins and service callers, the team total. p_users '
  'given (the incremental aggregation run): only those targetologists, and the total made of their '
  'fresh figures, the stored rows of the same period and window of every other active team and '
  'the unattributed leads and sales.';
revoke all on function private.traffic_metrics_rows(text[], date[], date[], text, uuid[])
  from public, anon;
grant execute on function private.traffic_metrics_rows(text[], date[], date[], text, uuid[])
  to authenticated, service_role;

create or replace function public.traffic_metrics_for_range(
  p_from date,
  p_to date,
  p_tz text default 'Asia/Almaty'
)
returns setof public.traffic_aggregated_metrics
language sql
stable
security invoker
set search_path = ''
set jit = off
as $$
  select * from private.traffic_metrics_rows(array['custom'], array[p_from], array[p_to], p_tz,
    null)
$$;

create or replace function public.traffic_aggregate_metrics(
  p_tz text default 'Asia/Almaty',
  p_today date default null
)
returns jsonb
language plpgsql
security definer
set search_path = ''
set statement_timeout = '120s'
as $$
declare
  v_today date;
  v_state private.traffic_aggregate_state;
  v_full boolean;
  -- The targetologists to recompute (incremental run); null in a full run.
  v_users uuid[];
  v_attribution jsonb;
  v_rows int;
  v_recomputed int;
  v_changed int;
  v_deleted int;
  v_missing jsonb;
begin
  -- Two overlapping runs would only waste work, but keep them serial all the same.
  perform pg_advisory_xact_lock(hashtext('public.traffic_aggregate_metrics'));
  v_today := coalesce(p_today, (now() at time zone p_tz)::date);

  v_attribution := public.traffic_resolve_attribution();

  -- What changed since the last run, consumed here: the delete is undone with the run if it
  -- fails, and it runs before any data is read, so a mark committed after its snapshot (whose
  -- data this run may not see) stays for the next run. Attribution above already wrote its own.
  with consumed as (
    delete from private.traffic_aggregate_dirty d
    returning d.user_id, d.first_day, d.last_day, d.full_run
  )
  select coalesce(bool_or(c.full_run), false),
    coalesce(array_agg(distinct c.user_id) filter (
      where c.user_id is not null and not c.full_run
        -- Changes outside the 30-day window move nothing (a day of slack each side: the rollups
        -- keep Asia/Almaty days, p_tz may differ by up to one).
        and c.last_day >= v_today - 30 and c.first_day <= v_today + 1), '{}'),
    count(*) filter (where c.full_run or (c.last_day >= v_today - 30 and c.first_day <= v_today + 1))
  into v_full, v_users, v_changed
  from consumed c;
  select * into v_state from private.traffic_aggregate_state;
  -- A full run: asked for (rates, truncation, a write to the stored rows), the first run, or a
  -- new local day / another time zone (the windows moved).
  v_full := v_full or v_state.today is distinct from v_today or v_state.tz is distinct from p_tz;
  if v_full then
    v_users := null;
  elsif v_changed = 0 then
    -- Nothing in the window changed: the stored rows stand.
    return jsonb_build_object(
      'today', v_today, 'timezone', p_tz, 'mode', 'incremental', 'rows_written', 0,
      'rows_changed', 0, 'rows_deleted', 0, 'users_recomputed', 0,
      'users', (select count(*) from public.traffic_targetologist_settings s where s.is_active),
      'periods', jsonb_build_object(
        'today', jsonb_build_array(v_today, v_today),
        '7d', jsonb_build_array(v_today - 6, v_today),
        '30d', jsonb_build_array(v_today - 29, v_today)),
      'missing_rates', v_state.missing_rates,
      'attribution', v_attribution);
  end if;
  -- The writes below are the aggregation's own (not a repair that needs a full run).
  perform set_config('traffic.aggregate_writing', 'on', true);

  -- The three periods in one pass over the rollups (each row read and converted once).
  with computed as materialized (
    select m.user_id, m.team_name, m.period, m.period_start, m.period_end,
      m.spend_usd, m.spend_kzt, m.exchange_rate, m.impressions, m.clicks, m.reach,
      m.leads, m.challenge3d_leads, m.express_leads, m.intensive1d_leads,
      m.challenge3d_prepayments, m.challenge3d_prepayment_revenue,
      m.challenge3d_full_payments, m.challenge3d_full_revenue, m.challenge3d_revenue,
      m.express_sales, m.express_revenue, m.intensive1d_sales, m.intensive1d_revenue,
      m.total_revenue, m.total_sales, m.roas, m.cpa_usd, m.ctr, m.cpc_usd, m.cpm_usd,
      m.cost_per_lead_usd, m.lead_to_sale_rate, m.unattributed_leads,
      m.meta_leads, m.meta_leads_gap, m.meta_leads_gap_pct
    from private.traffic_metrics_rows(array['today', '7d', '30d'],
      array[v_today, v_today - 6, v_today - 29], array[v_today, v_today, v_today], p_tz,
      v_users) as m
  ),
  -- New rows and rows whose numbers differ from the stored ones (null-safe, by value: numeric
  -- 1.0 = 1.00, and the API rounds once at its edge). The team total's user_id is null: the zero
  -- uuid stands in for it in the join (no targetologist has it: auth.users ids).
  changed as (
    select c.*
    from computed c
    left join public.traffic_aggregated_metrics t
      on coalesce(t.user_id, '00000000-0000-0000-0000-000000000000'::uuid)
           = coalesce(c.user_id, '00000000-0000-0000-0000-000000000000'::uuid)
         and t.period = c.period
    where t.id is null
       or row(t.team_name, t.period_start, t.period_end,
            t.spend_usd, t.spend_kzt, t.exchange_rate, t.impressions, t.clicks, t.reach,
            t.leads, t.challenge3d_leads, t.express_leads, t.intensive1d_leads,
            t.challenge3d_prepayments, t.challenge3d_prepayment_revenue,
            t.challenge3d_full_payments, t.challenge3d_full_revenue, t.challenge3d_revenue,
            t.express_sales, t.express_revenue, t.intensive1d_sales, t.intensive1d_revenue,
            t.total_revenue, t.total_sales, t.roas, t.cpa_usd, t.ctr, t.cpc_usd, t.cpm_usd,
            t.cost_per_lead_usd, t.lead_to_sale_rate, t.unattributed_leads,
            t.meta_leads, t.meta_leads_gap, t.meta_leads_gap_pct)
          is distinct from
          row(c.team_name, c.period_start, c.period_end,
            c.spend_usd, c.spend_kzt, c.exchange_rate, c.impressions, c.clicks, c.reach,
            c.leads, c.challenge3d_leads, c.express_leads, c.intensive1d_leads,
            c.challenge3d_prepayments, c.challenge3d_prepayment_revenue,
            c.challenge3d_full_payments, c.challenge3d_full_revenue, c.challenge3d_revenue,
            c.express_sales, c.express_revenue, c.intensive1d_sales, c.intensive1d_revenue,
            c.total_revenue, c.total_sales, c.roas, c.cpa_usd, c.ctr, c.cpc_usd, c.cpm_usd,
            c.cost_per_lead_usd, c.lead_to_sale_rate, c.unattributed_leads,
            c.meta_leads, c.meta_leads_gap, c.meta_leads_gap_pct)
  ),
  written as (
    insert into public.traffic_aggregated_metrics as t (
      user_id, team_name, period, period_start, period_end,
      spend_usd, spend_kzt, exchange_rate, impressions, clicks, reach,
      leads, challenge3d_leads, express_leads, intensive1d_leads,
      challenge3d_prepayments, challenge3d_prepayment_revenue,
      challenge3d_full_payments, challenge3d_full_revenue, challenge3d_revenue,
      express_sales, express_revenue, intensive1d_sales, intensive1d_revenue,
      total_revenue, total_sales, roas, cpa_usd, ctr, cpc_usd, cpm_usd,
      cost_per_lead_usd, lead_to_sale_rate, unattributed_leads, meta_leads, meta_leads_gap,
      meta_leads_gap_pct, computed_at)
    select m.user_id, m.team_name, m.period, m.period_start, m.period_end,
      m.spend_usd, m.spend_kzt, m.exchange_rate, m.impressions, m.clicks, m.reach,
      m.leads, m.challenge3d_leads, m.express_leads, m.intensive1d_leads,
      m.challenge3d_prepayments, m.challenge3d_prepayment_revenue,
      m.challenge3d_full_payments, m.challenge3d_full_revenue, m.challenge3d_revenue,
      m.express_sales, m.express_revenue, m.intensive1d_sales, m.intensive1d_revenue,
      m.total_revenue, m.total_sales, m.roas, m.cpa_usd, m.ctr, m.cpc_usd, m.cpm_usd,
      m.cost_per_lead_usd, m.lead_to_sale_rate, m.unattributed_leads, m.meta_leads,
      m.meta_leads_gap, m.meta_leads_gap_pct, now()
    from changed m
    on conflict (user_id, period) do update set
      team_name = excluded.team_name, period_start = excluded.period_start,
      period_end = excluded.period_end, spend_usd = excluded.spend_usd,
      spend_kzt = excluded.spend_kzt, exchange_rate = excluded.exchange_rate,
      impressions = excluded.impressions, clicks = excluded.clicks, reach = excluded.reach,
      leads = excluded.leads, challenge3d_leads = excluded.challenge3d_leads,
      express_leads = excluded.express_leads, intensive1d_leads = excluded.intensive1d_leads,
      challenge3d_prepayments = excluded.challenge3d_prepayments,
      challenge3d_prepayment_revenue = excluded.challenge3d_prepayment_revenue,
      challenge3d_full_payments = excluded.challenge3d_full_payments,
      challenge3d_full_revenue = excluded.challenge3d_full_revenue,
      challenge3d_revenue = excluded.challenge3d_revenue,
      express_sales = excluded.express_sales, express_revenue = excluded.express_revenue,
      intensive1d_sales = excluded.intensive1d_sales,
      intensive1d_revenue = excluded.intensive1d_revenue,
      total_revenue = excluded.total_revenue, total_sales = excluded.total_sales,
      roas = excluded.roas, cpa_usd = excluded.cpa_usd, ctr = excluded.ctr,
      cpc_usd = excluded.cpc_usd, cpm_usd = excluded.cpm_usd,
      cost_per_lead_usd = excluded.cost_per_lead_usd,
      lead_to_sale_rate = excluded.lead_to_sale_rate,
      unattributed_leads = excluded.unattributed_leads, meta_leads = excluded.meta_leads,
      meta_leads_gap = excluded.meta_leads_gap, meta_leads_gap_pct = excluded.meta_leads_gap_pct,
      computed_at = excluded.computed_at
    returning t.user_id
  )
  select (select count(*) from computed), (select count(distinct c.user_id) from computed c),
    (select count(*) from written)
  into v_rows, v_recomputed, v_changed;

  -- Rows of targetologists who were deactivated or removed (in an incremental run they are among
  -- the changed users: a settings change marks its user).
  delete from public.traffic_aggregated_metrics t
  where t.user_id is not null
    and (v_users is null or t.user_id = any (v_users))
    and not exists (select 1 from public.traffic_targetologist_settings s
                    where s.user_id = t.user_id and s.is_active);
  get diagnostics v_deleted = row_count;
  -- Writes after this point in the caller's transaction are someone else's again.
  perform set_config('traffic.aggregate_writing', 'off', true);

  -- Days of the 30-day window converted with an earlier day's rate (no rate of their own). An
  -- incremental run adds those of the recomputed users' spend to the last run's list (a new rate
  -- makes the run full, so none of those got its rate since); a day whose spend went away
  -- entirely leaves the list at the next full run.
  select coalesce(jsonb_agg(jsonb_build_object('currency', n.currency, 'rate_date', n.rate_date)
    order by n.rate_date, n.currency), '[]')
  into v_missing
  from (
    select n.currency, n.rate_date
    from private.traffic_rate_dates_needed_for(v_today - 29, v_today, v_users) as n
    union
    select m.currency, m.rate_date::date
    from jsonb_to_recordset(case when v_full then '[]' else v_state.missing_rates end)
      as m(currency text, rate_date text)
  ) as n;

  insert into private.traffic_aggregate_state as s (id, tz, today, missing_rates, ran_at)
  values (true, p_tz, v_today, v_missing, now())
  on conflict (id) do update set tz = excluded.tz, today = excluded.today,
    missing_rates = excluded.missing_rates, ran_at = excluded.ran_at;

  return jsonb_build_object(
    'today', v_today,
    'timezone', p_tz,
    'mode', case when v_full then 'full' else 'incremental' end,
    'rows_written', v_rows,
    'rows_changed', v_changed,
    'rows_deleted', v_deleted,
    'users', (select count(*) from public.traffic_targetologist_settings s where s.is_active),
    'users_recomputed', v_recomputed,
    'periods', jsonb_build_object(
      'today', jsonb_build_array(v_today, v_today),
      '7d', jsonb_build_array(v_today - 6, v_today),
      '30d', jsonb_build_array(v_today - 29, v_today)),
    'missing_rates', v_missing,
    'attribution', v_attribution);
end
$$;
comment on function public.traffic_aggregate_metrics(text, date) is
  'Resolves attribution, then computes today / 7d / 30d (local days in p_tz ending p_today, '
  'default today) and writes the rows that are new or whose numbers changed (computed_at: when '
  'they last changed); deletes rows of inactive targetologists. Full run (every active '
  'targetologist plus the team total): the first run, a new local day or time zone, a rate or '
  'stored-row change (private.traffic_aggregate_dirty full_run marks). Otherwise incremental: only '
  'the targetologists private.traffic_aggregate_dirty names (consumed in this transaction) and '
  'the team total; nothing changed, nothing computed. Returns {today, timezone, mode, '
  'rows_written (rows computed), rows_changed (rows written), rows_deleted, users (active '
  'targetologists), users_recomputed, periods, missing_rates (days converted with an earlier '
  'day''s rate), attribution}. Raises when a day with spend has no rate at all.';
revoke all on function public.traffic_aggregate_metrics(text, date)
  from public, anon, authenticated;
grant execute on function public.traffic_aggregate_metrics(text, date) to service_role;
