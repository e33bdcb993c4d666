-- The sales ledger: one row per AmoCRM deal that reached a paid status. A deal that leaves the
-- paid status or is deleted is not removed but reversed (status, reversed_at, reversal_reason),
-- so revenue can be recomputed for any past period.
create table public.traffic_sales (
  id bigint generated always as identity primary key,
  amocrm_lead_id bigint not null unique,
  product text not null check (product in ('challenge3d', 'express', 'intensive1d')),
  sale_type text not null check (sale_type in ('prepayment', 'full')),
  sale_amount numeric not null default 0,
  currency text not null default 'KZT',
  sold_at timestamptz not null,
  status text not null default 'active' check (status in ('active', 'reversed')),
  reversed_at timestamptz,
  reversal_reason text,
  pipeline_id bigint,
  status_id bigint,
  utm_source text,
  utm_medium text,
  utm_campaign text,
  utm_content text,
  utm_term text,
  fbclid text,
  user_id uuid references auth.users (id) on delete set null,
  attributed_by text check (attributed_by in ('ad', 'adset', 'campaign', 'utm_source')),
  attributed_at timestamptz,
  amocrm_updated_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table public.traffic_sales enable row level security;

comment on table public.traffic_sales is
  'Sales ledger, one row per AmoCRM deal; reversed rather than deleted. The seed''s '
  'challenge3d_sales / express_course_sales / intensive1d_sales are views over its active rows.';
comment on column public.traffic_sales.sale_amount is 'Amount in KZT (numeric, never a float).';
comment on column public.traffic_sales.reversal_reason is
  'Why an active sale was reversed: status_changed, deleted, lost, ...';
comment on column public.traffic_sales.amocrm_updated_at is
  'AmoCRM''s updated_at of the version stored: the write guard for out-of-order events.';

create index traffic_sales_user_sold_idx on public.traffic_sales (user_id, sold_at);
create index traffic_sales_status_idx on public.traffic_sales (status);
-- The product views and team-wide revenue read active rows of one product by date.
create index traffic_sales_active_product_sold_idx
  on public.traffic_sales (product, sold_at) where status = 'active';

revoke all on table public.traffic_sales from anon, authenticated;
grant select on table public.traffic_sales to authenticated;
grant all on table public.traffic_sales to service_role;
-- The identity sequence inherits the default grants too; inserts never need it.
revoke all on sequence public.traffic_sales_id_seq from anon, authenticated;

create policy "sales: read own, admin reads all"
  on public.traffic_sales for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));
comment on policy "sales: read own, admin reads all" on public.traffic_sales is
  'A targetologist reads sales attributed to them; an admin reads all, unattributed included.';

create trigger set_updated_at before update on public.traffic_sales
  for each row execute function private.set_updated_at();
