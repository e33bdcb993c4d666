-- The incremental aggregation run (issue 11 item 3): traffic_aggregate_metrics() (newest:
-- 20261207002200) recomputes only the targetologists whose data changed since the last run
-- (private.traffic_aggregate_dirty, 20261207030000) plus the team total
-- (private.traffic_metrics_rows with p_users, 20261207030020), or every one in a full run (the
-- first run, a new local day or time zone, a rate change, a write to the stored rows by someone
-- else). The comparison and the upsert of changed rows are those of 20261207002200.
-- traffic_rate_dates_needed (20261127002100) moves into private.traffic_rate_dates_needed_for
-- with an optional user filter (one definition); the public function is it with no filter.

create or replace function private.traffic_rate_dates_needed_for(
  p_from date, p_to date, p_users uuid[])
returns table (currency text, rate_date date)
language plpgsql
stable
security definer
set search_path = ''
set jit = off
set plan_cache_mode = force_custom_plan
as $$
begin
  return query
  with spend_days as (
    select distinct r.stat_date, r.account_currency
    from public.traffic_spend_daily r
    where r.stat_date between p_from and p_to
      and r.spend <> 0
      and (p_users is null or r.user_id = any (p_users))
      and r.user_id in (select s.user_id from public.traffic_targetologist_settings s
                        where s.is_active)
  ),
  needed as (
    -- USD every day (spend_kzt is USD spend x USD rate), plus the account's own currency.
    select 'USD' as currency, d.stat_date as rate_date from spend_days d
    union
    select d.account_currency, d.stat_date from spend_days d
    where d.account_currency not in ('USD', 'KZT')
  )
  select n.currency::text, n.rate_date
  from needed n
  where not exists (select 1 from public.exchange_rates e
                    where e.currency = n.currency and e.rate_date = n.rate_date)
  order by n.rate_date, n.currency;
end
$$;
comment on function private.traffic_rate_dates_needed_for(date, date, uuid[]) is
  '(currency, rate_date) pairs with spend in [p_from, p_to] of the active targetologists p_users '
  '(null: all) whose exact-day rate is not in exchange_rates.';
revoke all on function private.traffic_rate_dates_needed_for(date, date, uuid[])
  from public, anon, authenticated;

create or replace function public.traffic_rate_dates_needed(p_from date, p_to date)
returns table (currency text, rate_date date)
language sql
stable
security definer
set search_path = ''
as $$
  select * from private.traffic_rate_dates_needed_for(p_from, p_to, null)
$$;
comment on function public.traffic_rate_dates_needed(date, date) is
  '(currency, rate_date) pairs with spend in [p_from, p_to] whose exact-day rate is not in '
  'exchange_rates: the days aggregate-metrics asks the National Bank feed for.';
revoke all on function public.traffic_rate_dates_needed(date, date)
  from public, anon, authenticated;
grant execute on function public.traffic_rate_dates_needed(date, date) to service_role;

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

  with periods (period, period_start, period_end) as (
    values ('today', v_today, v_today),
           ('7d', v_today - 6, v_today),
           ('30d', v_today - 29, v_today)
  ),
  computed as materialized (
    select m.user_id, m.team_name, p.period, p.period_start, p.period_end,
      m.spend_usd, m.spend_kzt, m.exchange_rate, m.impressions, m.clicks, m.reach,
      m.leads, m.challenge3d_leads, m.express_leads, m.intensive1d_leads,
      m.challenge3d_prepayments, m.challenge3d_prepayment_revenue,
      m.challenge3d_full_payments, m.challenge3d_full_revenue, m.challenge3d_revenue,
      m.express_sales, m.express_revenue, m.intensive1d_sales, m.intensive1d_revenue,
      m.total_revenue, m.total_sales, m.roas, m.cpa_usd, m.ctr, m.cpc_usd, m.cpm_usd,
      m.cost_per_lead_usd, m.lead_to_sale_rate, m.unattributed_leads,
      m.meta_leads, m.meta_leads_gap, m.meta_leads_gap_pct
    from periods p
    cross join lateral private.traffic_metrics_rows(p.period_start, p.period_end, p_tz, v_users,
      p.period) as m
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
