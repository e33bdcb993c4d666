-- One aggregation run: attribution, then today / 7d / 30d for every active targetologist and the
-- team total, upserted by ONE statement that calls traffic_metrics_for_range() per period.
-- Its own statement_timeout (PostgREST applies a function's settings before calling it) lifts
-- the API's 8 s limit for this call only: a steady run is short, but the first run after
-- importing a backlog attributes every lead and sale once (figures: docs/benchmarks.md). 120 s
-- stays inside the Edge Function's 150 s request limit.
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
    select m.user_id, m.team_name, p.period, p.period_start, p.period_end,
      m.spend_usd, m.spend_kzt, m.exchange_rate, m.impressions, m.clicks, m.reach,
      m.leads, m.challenge3d_leads, m.express_leads, m.intensive1d_leads,
      m.challenge3d_prepayments, m.challenge3d_prepayment_revenue,
      m.challenge3d_full_payments, m.challenge3d_full_revenue, m.challenge3d_revenue,
      m.express_sales, m.express_revenue, m.intensive1d_sales, m.intensive1d_revenue,
      m.total_revenue, m.total_sales, m.roas, m.cpa_usd, m.ctr, m.cpc_usd, m.cpm_usd,
      m.cost_per_lead_usd, m.lead_to_sale_rate, m.unattributed_leads, now()
    from periods p
    cross join lateral public.traffic_metrics_for_range(p.period_start, p.period_end, p_tz) as m
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
  select count(*), count(distinct w.user_id) into v_rows, v_users from written w;

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
  'Resolves attribution, then upserts today / 7d / 30d (local days in p_tz ending p_today, '
  'default today) for every active targetologist plus the team total, and deletes rows of '
  'inactive ones. Returns {today, timezone, rows_written, rows_deleted, users (targetologists, '
  'the total not counted), periods, missing_rates (days converted with an earlier day''s rate), '
  'attribution}. Raises when a day with spend has no rate at all.';
revoke all on function public.traffic_aggregate_metrics(text, date)
  from public, anon, authenticated;
grant execute on function public.traffic_aggregate_metrics(text, date) to service_role;
