-- One row per run of a sync (seed contract: the monitoring queries read it verbatim).
create table public.traffic_sync_history (
  id bigint generated always as identity primary key,
  sync_type text not null,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  success boolean,
  users_processed int not null default 0,
  records_synced int not null default 0,
  duration_ms int,
  error_message text,
  details jsonb not null default '{}',
  user_id uuid references auth.users (id) on delete set null,
  triggered_by text
);
alter table public.traffic_sync_history enable row level security;

comment on table public.traffic_sync_history is
  'Runs of the syncs (facebook_ads, aggregation, full, amocrm_replay, ...): when, outcome, counts. '
  'user_id is set on per-user runs; success null means still running.';
comment on column public.traffic_sync_history.triggered_by is
  'Who started the run: cron, manual, api, ...';

create index traffic_sync_history_type_started_idx
  on public.traffic_sync_history (sync_type, started_at desc);
create index traffic_sync_history_user_started_idx
  on public.traffic_sync_history (user_id, started_at desc);

revoke all on table public.traffic_sync_history from anon, authenticated;
grant select on table public.traffic_sync_history to authenticated;
grant all on table public.traffic_sync_history to service_role;
-- The identity sequence inherits the default grants too; inserts never need it.
revoke all on sequence public.traffic_sync_history_id_seq from anon, authenticated;

create policy "sync history: read own, admin reads all"
  on public.traffic_sync_history for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));
comment on policy "sync history: read own, admin reads all" on public.traffic_sync_history is
  'A targetologist reads their own per-user runs; an admin reads every run.';
