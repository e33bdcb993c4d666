-- traffic_aggregate_metrics() writes only the rows whose numbers changed. A steady run (nothing
-- new since the last one) used to rewrite every (user, period) row: 3,003 rows at 1,000
-- targetologists, 30,003 at 10,000, most of the run's time at volume. Now the three periods are
-- computed as before (traffic_metrics_for_range(), the one definition of every number), compared
-- with the stored row, and only new or different rows are upserted.
-- computed_at / updated_at therefore say when a row's numbers were last (re)computed to a
-- different value; that a run checked them is in its traffic_sync_history row. The summary keeps
-- rows_written (rows the run stands behind, as before) and adds rows_changed.
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
  v_attribution jsonb;
  v_rows int;
  v_users int;
  v_changed int;
  v_deleted int;
  v_missing jsonb;
begin
  -- Two overlapping runs would only waste work, but keep them serial all the same.
  perform pg_advisory_xact_lock(hashtext('public.traffic_aggregate_metrics'));
  v_today := coalesce(p_today, (now() at time zone p_tz)::date);

  v_attribution := public.traffic_resolve_attribution();

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
      m.cost_per_lead_usd, m.lead_to_sale_rate, m.unattributed_leads
    from periods p
    cross join lateral public.traffic_metrics_for_range(p.period_start, p.period_end, p_tz) as m
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
            t.cost_per_lead_usd, t.lead_to_sale_rate, t.unattributed_leads)
          is distinct from
          row(c.team_name, c.period_start, c.period_end,
            c.spend_usd, c.spend_kzt, c.exchange_rate, c.impressions, c.clicks, c.reach,
            c.leads, c.challenge3d_leads, c.express_leads, c.intensive1d_leads,
            c.challenge3d_prepayments, c.challenge3d_prepayment_revenue,
            c.challenge3d_full_payments, c.challenge3d_full_revenue, c.challenge3d_revenue,
            c.express_sales, c.express_revenue, c.intensive1d_sales, c.intensive1d_revenue,
            c.total_revenue, c.total_sales, c.roas, c.cpa_usd, c.ctr, c.cpc_usd, c.cpm_usd,
            c.cost_per_lead_usd, c.lead_to_sale_rate, c.unattributed_leads)
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
      cost_per_lead_usd, lead_to_sale_rate, unattributed_leads, computed_at)
    select m.user_id, m.team_name, m.period, m.period_start, m.period_end,
      m.spend_usd, m.spend_kzt, m.exchange_rate, m.impressions, m.clicks, m.reach,
      m.leads, m.challenge3d_leads, m.express_leads, m.intensive1d_leads,
      m.challenge3d_prepayments, m.challenge3d_prepayment_revenue,
      m.challenge3d_full_payments, m.challenge3d_full_revenue, m.challenge3d_revenue,
      m.express_sales, m.express_revenue, m.intensive1d_sales, m.intensive1d_revenue,
      m.total_revenue, m.total_sales, m.roas, m.cpa_usd, m.ctr, m.cpc_usd, m.cpm_usd,
      m.cost_per_lead_usd, m.lead_to_sale_rate, m.unattributed_leads, now()
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
      unattributed_leads = excluded.unattributed_leads, computed_at = excluded.computed_at
    returning t.user_id
  )
  select (select count(*) from computed), (select count(distinct c.user_id) from computed c),
    (select count(*) from written)
  into v_rows, v_users, v_changed;

  -- Rows of targetologists who were deactivated or removed.
  delete from public.traffic_aggregated_metrics t
  where t.user_id is not null
    and not exists (select 1 from public.traffic_targetologist_settings s
                    where s.user_id = t.user_id and s.is_active);
  get diagnostics v_deleted = row_count;

  -- Days of the 30-day window converted with an earlier day's rate (no rate of their own).
  select coalesce(jsonb_agg(jsonb_build_object('currency', n.currency, 'rate_date', n.rate_date)
    order by n.rate_date, n.currency), '[]')
  into v_missing
  from public.traffic_rate_dates_needed(v_today - 29, v_today) as n;

  return jsonb_build_object(
    'today', v_today,
    'timezone', p_tz,
    'rows_written', v_rows,
    'rows_changed', v_changed,
    'rows_deleted', v_deleted,
    'users', v_users,
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
  'default today) for every active targetologist plus the team total, writes the rows that are new '
  'or whose numbers changed (computed_at: when they last changed), and deletes rows of '
  'inactive ones. Returns {today, timezone, rows_written (rows computed), rows_changed (rows '
  'written), rows_deleted, users (targetologists, '
  'the total not counted), periods, missing_rates (days converted with an earlier day''s rate), '
  'attribution}. Raises when a day with spend has no rate at all.';
revoke all on function public.traffic_aggregate_metrics(text, date)
  from public, anon, authenticated;
grant execute on function public.traffic_aggregate_metrics(text, date) to service_role;
