-- traffic_api_metrics with its column list written once: the caller's own rows by the
-- (user_id, period) key and (admins only) everyone else's are chosen in a union of two index-
-- friendly branches (the policy's "own or admin" OR made every read a scan of the whole table),
-- and the one projection (money 2 places, ratios 4, as text; units in 20261202200300) is applied
-- over that union. Same columns, same rows, same rounding as before; RLS still applies.
create or replace view public.traffic_api_metrics
with (security_invoker = true) as
select
  m.user_id,
  m.team_name,
  m.period,
  m.period_start,
  m.period_end,
  round(m.spend_usd, 2)::text as spend_usd,
  round(m.spend_kzt, 2)::text as spend_kzt,
  round(m.exchange_rate, 4)::text as exchange_rate,
  m.impressions,
  m.clicks,
  m.reach,
  m.leads,
  m.challenge3d_leads,
  m.express_leads,
  m.intensive1d_leads,
  m.challenge3d_prepayments,
  round(m.challenge3d_prepayment_revenue, 2)::text as challenge3d_prepayment_revenue,
  m.challenge3d_full_payments,
  round(m.challenge3d_full_revenue, 2)::text as challenge3d_full_revenue,
  round(m.challenge3d_revenue, 2)::text as challenge3d_revenue,
  m.express_sales,
  round(m.express_revenue, 2)::text as express_revenue,
  m.intensive1d_sales,
  round(m.intensive1d_revenue, 2)::text as intensive1d_revenue,
  round(m.total_revenue, 2)::text as total_revenue,
  m.total_sales,
  round(m.roas, 4)::text as roas,
  round(m.cpa_usd, 2)::text as cpa_usd,
  round(m.ctr, 4)::text as ctr,
  round(m.cpc_usd, 2)::text as cpc_usd,
  round(m.cpm_usd, 2)::text as cpm_usd,
  round(m.cost_per_lead_usd, 2)::text as cost_per_lead_usd,
  round(m.lead_to_sale_rate, 4)::text as lead_to_sale_rate,
  m.unattributed_leads,
  m.computed_at,
  m.updated_at
from (
  select * from public.traffic_aggregated_metrics o
  where o.user_id = (select auth.uid())
  union all
  select * from public.traffic_aggregated_metrics o
  where (select private.is_admin()) and o.user_id is distinct from (select auth.uid())
) as m;
comment on view public.traffic_api_metrics is
  'traffic_aggregated_metrics as traffic-api GET /metrics serves it: money rounded to the unit '
  '(2 places) and ratios to 4, as text. Security invoker: the table''s RLS applies.';
