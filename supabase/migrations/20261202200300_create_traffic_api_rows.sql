-- What traffic-api serves, shaped in SQL so PostgREST answers `select=*` (PostgREST 12 answers
-- an explicit `select=` list of ~36 columns much slower than `select=*`: docs/benchmarks.md)
-- and money arrives rounded once, here at the API's edge, as exact decimal strings (issue 14):
--   * money to its unit, 2 places: cents of USD (spend_usd, cpa/cpc/cpm/cost per lead) and tiyn of
--     KZT (spend_kzt, revenues): round(x, 2)::text;
--   * ratios to 4 places: ROAS, CTR, lead-to-sale rate, the effective exchange rate (KZT per USD):
--     round(x, 4)::text.
-- Written out per column rather than through helper functions: inlining 34 SQL function calls
-- cost planning time on every request. The units are listed once, in this file.
-- Rounding is numeric round() (half away from zero), never through a float. The sums themselves
-- stay unrounded numerics in the tables and functions underneath; only these API shapes round.
-- Security invoker throughout: RLS on the underlying tables decides what each caller sees.

-- GET /metrics: the stored periods.
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
from public.traffic_aggregated_metrics m
-- The caller's own rows by the (user_id, period) key, then (admins only) everyone else's: the
-- policy's "own or admin" OR made every read a scan of the whole table. RLS still applies.
where m.user_id = (select auth.uid())
union all
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
from public.traffic_aggregated_metrics m
where (select private.is_admin()) and m.user_id is distinct from (select auth.uid());
comment on view public.traffic_api_metrics is
  'traffic_aggregated_metrics as traffic-api GET /metrics serves it: money rounded to the unit '
  '(2 places) and ratios to 4, as text. Security invoker: the table''s RLS applies.';
revoke all on public.traffic_api_metrics from anon;
grant select on public.traffic_api_metrics to authenticated, service_role;

-- GET /metrics/range: traffic_metrics_for_range() shaped like the view.
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
  from public.traffic_metrics_for_range(p_from, p_to, p_tz) m
$$;
comment on function public.traffic_api_metrics_range(date, date, text) is
  'traffic_metrics_for_range() as traffic-api GET /metrics/range serves it (money 2 places, '
  'ratios 4, as text).';
revoke all on function public.traffic_api_metrics_range(date, date, text) from public, anon;
grant execute on function public.traffic_api_metrics_range(date, date, text)
  to authenticated, service_role;

-- GET /daily: traffic_daily_series() shaped.
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
  revenue text
)
language sql
stable
security invoker
set search_path = ''
as $$
  select
    d.date,
    round(d.spend_usd, 2)::text as spend_usd,
    round(d.spend_kzt, 2)::text as spend_kzt,
    d.impressions,
    d.clicks,
    d.leads,
    d.sales,
    round(d.revenue, 2)::text as revenue
  from public.traffic_daily_series(p_from, p_to, p_tz, p_user_id) d
  order by d.date
$$;
comment on function public.traffic_api_daily(date, date, text, uuid) is
  'traffic_daily_series() as traffic-api GET /daily serves it (money 2 places, as text).';
revoke all on function public.traffic_api_daily(date, date, text, uuid) from public, anon;
grant execute on function public.traffic_api_daily(date, date, text, uuid)
  to authenticated, service_role;

-- GET /campaigns: traffic_campaign_metrics() shaped, in its order (spend first).
create or replace function public.traffic_api_campaigns(
  p_from date,
  p_to date,
  p_tz text default 'Asia/Almaty',
  p_level text default 'campaign',
  p_user_id uuid default null
)
returns table (
  user_id uuid,
  team_name text,
  campaign_id text,
  campaign_name text,
  adset_id text,
  adset_name text,
  ad_id text,
  ad_name text,
  spend_usd text,
  spend_kzt text,
  impressions bigint,
  clicks bigint,
  leads bigint,
  sales bigint,
  revenue text,
  roas text,
  cpa_usd text
)
language sql
stable
security invoker
set search_path = ''
as $$
  select
    c.user_id,
    c.team_name,
    c.campaign_id,
    c.campaign_name,
    c.adset_id,
    c.adset_name,
    c.ad_id,
    c.ad_name,
    round(c.spend_usd, 2)::text as spend_usd,
    round(c.spend_kzt, 2)::text as spend_kzt,
    c.impressions,
    c.clicks,
    c.leads,
    c.sales,
    round(c.revenue, 2)::text as revenue,
    round(c.roas, 4)::text as roas,
    round(c.cpa_usd, 2)::text as cpa_usd
  from public.traffic_campaign_metrics(p_from, p_to, p_tz, p_level, p_user_id)
    with ordinality as c
  order by c.ordinality
$$;
comment on function public.traffic_api_campaigns(date, date, text, text, uuid) is
  'traffic_campaign_metrics() as traffic-api GET /campaigns serves it, in its order (money 2 '
  'places, ROAS 4, as text).';
revoke all on function public.traffic_api_campaigns(date, date, text, text, uuid)
  from public, anon;
grant execute on function public.traffic_api_campaigns(date, date, text, text, uuid)
  to authenticated, service_role;
