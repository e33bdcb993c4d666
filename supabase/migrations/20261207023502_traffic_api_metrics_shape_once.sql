-- Issue 16: the money-rounding projection of traffic-api's metrics rows is written once.
--
-- Before, the view public.traffic_api_metrics (GET /metrics) and public.traffic_api_metrics_range
-- (GET /metrics/range) each spelled out the same 39 columns: which are money (rounded to 2
-- places), which ratios (4), meta_leads_gap_pct (2), all as text (20261207002300). Now both apply
-- private.traffic_api_metrics_shape to their rows (the stored ones; traffic_metrics_for_range's).
-- It is an inlinable set-returning SQL function (plain SQL, not strict, no SET clause), so the
-- planner folds it into each caller: the view's plan (the caller's own rows by key, or every row
-- for an admin) and its columns, types and numbers are unchanged (pgTAP 240, 245).

create or replace function private.traffic_api_metrics_shape(m public.traffic_aggregated_metrics)
returns table (
  user_id uuid,
  team_name text,
  period text,
  period_start date,
  period_end date,
  spend_usd text,
  spend_kzt text,
  exchange_rate text,
  impressions bigint,
  clicks bigint,
  reach bigint,
  leads integer,
  challenge3d_leads integer,
  express_leads integer,
  intensive1d_leads integer,
  challenge3d_prepayments integer,
  challenge3d_prepayment_revenue text,
  challenge3d_full_payments integer,
  challenge3d_full_revenue text,
  challenge3d_revenue text,
  express_sales integer,
  express_revenue text,
  intensive1d_sales integer,
  intensive1d_revenue text,
  total_revenue text,
  total_sales integer,
  roas text,
  cpa_usd text,
  ctr text,
  cpc_usd text,
  cpm_usd text,
  cost_per_lead_usd text,
  lead_to_sale_rate text,
  unattributed_leads integer,
  computed_at timestamp with time zone,
  updated_at timestamp with time zone,
  meta_leads integer,
  meta_leads_gap integer,
  meta_leads_gap_pct text
)
language sql
immutable
as $$
  select
    m.user_id,
    m.team_name,
    m.period,
    m.period_start,
    m.period_end,
    round(m.spend_usd, 2)::text,
    round(m.spend_kzt, 2)::text,
    round(m.exchange_rate, 4)::text,
    m.impressions,
    m.clicks,
    m.reach,
    m.leads,
    m.challenge3d_leads,
    m.express_leads,
    m.intensive1d_leads,
    m.challenge3d_prepayments,
    round(m.challenge3d_prepayment_revenue, 2)::text,
    m.challenge3d_full_payments,
    round(m.challenge3d_full_revenue, 2)::text,
    round(m.challenge3d_revenue, 2)::text,
    m.express_sales,
    round(m.express_revenue, 2)::text,
    m.intensive1d_sales,
    round(m.intensive1d_revenue, 2)::text,
    round(m.total_revenue, 2)::text,
    m.total_sales,
    round(m.roas, 4)::text,
    round(m.cpa_usd, 2)::text,
    round(m.ctr, 4)::text,
    round(m.cpc_usd, 2)::text,
    round(m.cpm_usd, 2)::text,
    round(m.cost_per_lead_usd, 2)::text,
    round(m.lead_to_sale_rate, 4)::text,
    m.unattributed_leads,
    m.computed_at,
    m.updated_at,
    m.meta_leads,
    m.meta_leads_gap,
    round(m.meta_leads_gap_pct, 2)::text
$$;
comment on function private.traffic_api_metrics_shape(public.traffic_aggregated_metrics) is
  'THE shape of a metrics row as traffic-api serves it: money rounded to its unit (2 places), '
  'ratios to 4, meta_leads_gap_pct to 2, as exact text; counts and dates as they are. Used by '
  'the view traffic_api_metrics and by traffic_api_metrics_range.';
revoke all on function private.traffic_api_metrics_shape(public.traffic_aggregated_metrics)
  from public, anon;
grant execute on function private.traffic_api_metrics_shape(public.traffic_aggregated_metrics)
  to authenticated, service_role;

create or replace view public.traffic_api_metrics
with (security_invoker = true) as
select s.*
from (
  select * from public.traffic_aggregated_metrics o
  where o.user_id = (select auth.uid())
  union all
  select * from public.traffic_aggregated_metrics o
  where (select private.is_admin()) and o.user_id is distinct from (select auth.uid())
) as m
cross join lateral private.traffic_api_metrics_shape(m::public.traffic_aggregated_metrics) as s;
comment on view public.traffic_api_metrics is
  'traffic_aggregated_metrics as traffic-api GET /metrics serves it, shaped by '
  'private.traffic_api_metrics_shape (money 2 places, ratios 4, as text). Security invoker: the '
  'table''s RLS applies.';

create or replace function public.traffic_api_metrics_range(
  p_from date,
  p_to date,
  p_tz text default 'Asia/Almaty'
)
returns setof public.traffic_api_metrics
language sql
stable
security invoker
set search_path = ''
as $$
  select s.*
  from public.traffic_metrics_for_range(p_from, p_to, p_tz) m
  cross join lateral private.traffic_api_metrics_shape(m) as s
$$;
comment on function public.traffic_api_metrics_range(date, date, text) is
  'traffic_metrics_for_range() as traffic-api GET /metrics/range serves it, shaped by '
  'private.traffic_api_metrics_shape (money 2 places, ratios 4, as text).';
