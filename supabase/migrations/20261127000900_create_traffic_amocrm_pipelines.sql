-- Which AmoCRM pipeline sells which product, and which of its statuses mean a prepayment or a
-- full payment. Data, not code: the owner edits it when the CRM changes.
create table public.traffic_amocrm_pipelines (
  pipeline_id bigint primary key,
  name text,
  product text not null check (product in ('challenge3d', 'express', 'intensive1d')),
  prepayment_status_ids bigint[] not null default '{}',
  -- 142 is AmoCRM's built-in "won" status, the same id in every pipeline.
  full_payment_status_ids bigint[] not null default '{142}',
  updated_at timestamptz not null default now()
);
alter table public.traffic_amocrm_pipelines enable row level security;

comment on table public.traffic_amocrm_pipelines is
  'AmoCRM pipeline -> product mapping and the status ids that count as prepayment / full payment.';

revoke all on table public.traffic_amocrm_pipelines from anon, authenticated;
grant select, insert, update, delete on table public.traffic_amocrm_pipelines to authenticated;
grant all on table public.traffic_amocrm_pipelines to service_role;

create policy "pipelines: authenticated read"
  on public.traffic_amocrm_pipelines for select to authenticated
  using (true);
comment on policy "pipelines: authenticated read" on public.traffic_amocrm_pipelines is
  'The mapping is configuration, not personal data: every signed-in user may read it.';

create policy "pipelines: admin inserts"
  on public.traffic_amocrm_pipelines for insert to authenticated
  with check ((select private.is_admin()));
comment on policy "pipelines: admin inserts" on public.traffic_amocrm_pipelines is
  'Only an admin adds a pipeline mapping.';

create policy "pipelines: admin updates"
  on public.traffic_amocrm_pipelines for update to authenticated
  using ((select private.is_admin()))
  with check ((select private.is_admin()));
comment on policy "pipelines: admin updates" on public.traffic_amocrm_pipelines is
  'Only an admin changes a pipeline mapping.';

create policy "pipelines: admin deletes"
  on public.traffic_amocrm_pipelines for delete to authenticated
  using ((select private.is_admin()));
comment on policy "pipelines: admin deletes" on public.traffic_amocrm_pipelines is
  'Only an admin removes a pipeline mapping.';

create trigger set_updated_at before update on public.traffic_amocrm_pipelines
  for each row execute function private.set_updated_at();
