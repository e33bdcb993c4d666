-- Leads from AmoCRM, one row per AmoCRM lead. amocrm-webhook upserts them guarded by
-- amocrm_updated_at (an older event never overwrites a newer one); attribution fills user_id.
create table public.traffic_leads (
  id bigint generated always as identity primary key,
  amocrm_lead_id bigint not null unique,
  pipeline_id bigint,
  status_id bigint,
  product text check (product in ('challenge3d', 'express', 'intensive1d')),
  name text,
  price numeric,
  responsible_user_id bigint,
  utm_source text,
  utm_medium text,
  utm_campaign text,
  utm_content text,
  utm_term text,
  fbclid text,
  custom_fields jsonb not null default '[]',
  created_at timestamptz not null,
  amocrm_updated_at timestamptz,
  is_deleted boolean not null default false,
  user_id uuid references auth.users (id) on delete set null,
  attributed_by text check (attributed_by in ('ad', 'adset', 'campaign', 'utm_source')),
  attributed_at timestamptz,
  received_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table public.traffic_leads enable row level security;

comment on table public.traffic_leads is
  'AmoCRM leads with their UTM values (seed contract). user_id is the resolved targetologist '
  '(null = unattributed, admin-only).';
comment on column public.traffic_leads.created_at is
  'When the lead was created in AmoCRM (not when this row was written: see received_at).';
comment on column public.traffic_leads.amocrm_updated_at is
  'AmoCRM''s updated_at of the version stored: the write guard for out-of-order events.';
comment on column public.traffic_leads.attributed_by is
  'Which match attributed the lead: ad, adset, campaign (ids in UTM values) or utm_source.';

-- (user_id, created_at) serves the policy and per-user period counts; the rest serve the
-- team-wide counts and the attribution matches.
create index traffic_leads_user_created_idx on public.traffic_leads (user_id, created_at);
create index traffic_leads_created_idx on public.traffic_leads (created_at);
create index traffic_leads_utm_source_idx on public.traffic_leads (utm_source);
create index traffic_leads_utm_medium_idx on public.traffic_leads (utm_medium);
create index traffic_leads_utm_campaign_idx on public.traffic_leads (utm_campaign);
create index traffic_leads_utm_content_idx on public.traffic_leads (utm_content);
create index traffic_leads_utm_term_idx on public.traffic_leads (utm_term);

revoke all on table public.traffic_leads from anon, authenticated;
grant select on table public.traffic_leads to authenticated;
grant all on table public.traffic_leads to service_role;
-- The identity sequence inherits the default grants too; inserts never need it.
revoke all on sequence public.traffic_leads_id_seq from anon, authenticated;

create policy "leads: read own, admin reads all"
  on public.traffic_leads for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));
comment on policy "leads: read own, admin reads all" on public.traffic_leads is
  'A targetologist reads leads attributed to them; an admin reads all, unattributed included.';

create trigger set_updated_at before update on public.traffic_leads
  for each row execute function private.set_updated_at();
