-- Pre-computed dashboard numbers per targetologist and period, plus one team-wide total row per
-- period (user_id null). Rewritten by aggregate-metrics every 10 minutes.
create table public.traffic_aggregated_metrics (
  id bigint generated always as identity primary key,
  user_id uuid references auth.users (id) on delete cascade,
  team_name text not null,
  period text not null check (period in ('today', '7d', '30d')),
  period_start date not null,
  period_end date not null,
  -- Facebook Ads
  spend_usd numeric not null default 0,
  spend_kzt numeric not null default 0,
  exchange_rate numeric,
  impressions bigint not null default 0,
  clicks bigint not null default 0,
  reach bigint not null default 0,
  -- Leads
  leads int not null default 0,
  challenge3d_leads int not null default 0,
  express_leads int not null default 0,
  intensive1d_leads int not null default 0,
  -- Sales (KZT)
  challenge3d_prepayments int not null default 0,
  challenge3d_prepayment_revenue numeric not null default 0,
  challenge3d_full_payments int not null default 0,
  challenge3d_full_revenue numeric not null default 0,
  challenge3d_revenue numeric not null default 0,
  express_sales int not null default 0,
  express_revenue numeric not null default 0,
  intensive1d_sales int not null default 0,
  intensive1d_revenue numeric not null default 0,
  total_revenue numeric not null default 0,
  total_sales int not null default 0,
  -- Ratios: null when the denominator is zero
  roas numeric,
  cpa_usd numeric,
  ctr numeric,
  cpc_usd numeric,
  cpm_usd numeric,
  cost_per_lead_usd numeric,
  lead_to_sale_rate numeric,
  unattributed_leads int not null default 0,
  computed_at timestamptz,
  updated_at timestamptz not null default now(),
  -- One row per (user, period); the null user (team total) is unique too.
  constraint traffic_aggregated_metrics_user_period_key unique nulls not distinct (user_id, period)
);
alter table public.traffic_aggregated_metrics enable row level security;

comment on table public.traffic_aggregated_metrics is
  'Dashboard metrics per targetologist and period (seed contract); user_id null = team total, '
  'visible to admins only.';
comment on column public.traffic_aggregated_metrics.exchange_rate is
  'Effective KZT per USD over the period (spend_kzt / spend_usd when spend_usd > 0).';
comment on column public.traffic_aggregated_metrics.roas is 'total_revenue / spend_kzt.';
comment on column public.traffic_aggregated_metrics.cpa_usd is 'spend_usd / total_sales.';
comment on column public.traffic_aggregated_metrics.unattributed_leads is
  'Leads in the period no targetologist could be matched to (team row; 0 on user rows).';

revoke all on table public.traffic_aggregated_metrics from anon, authenticated;
grant select on table public.traffic_aggregated_metrics to authenticated;
grant all on table public.traffic_aggregated_metrics to service_role;
-- The identity sequence inherits the default grants too; inserts never need it.
revoke all on sequence public.traffic_aggregated_metrics_id_seq from anon, authenticated;

-- The unique key (user_id, period) leads with user_id, so it is also the policy's index.
create policy "metrics: read own, admin reads all"
  on public.traffic_aggregated_metrics for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));
comment on policy "metrics: read own, admin reads all" on public.traffic_aggregated_metrics is
  'A targetologist reads their own metrics; an admin reads every row, the team total included.';

create trigger set_updated_at before update on public.traffic_aggregated_metrics
  for each row execute function private.set_updated_at();
