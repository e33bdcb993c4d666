-- Every AmoCRM webhook body exactly as received, stored before it is processed, so nothing is
-- lost and any event can be replayed. body_sha256 makes a redelivered body a no-op insert.
create table public.traffic_amocrm_events (
  id bigint generated always as identity primary key,
  received_at timestamptz not null default now(),
  raw_body text not null,
  content_type text,
  body_sha256 text not null unique,
  payload jsonb,
  account_id text,
  account_subdomain text,
  event_count int not null default 0,
  status text not null default 'pending'
    check (status in ('pending', 'processed', 'ignored', 'failed', 'rejected')),
  error text,
  attempts int not null default 0,
  processed_at timestamptz
);
alter table public.traffic_amocrm_events enable row level security;

comment on table public.traffic_amocrm_events is
  'Raw AmoCRM webhook bodies with their processing status; the source for replays. '
  'Written by amocrm-webhook (service_role); readable by admins only.';
comment on column public.traffic_amocrm_events.payload is
  'The form-encoded body parsed to JSON (null when it could not be parsed).';
comment on column public.traffic_amocrm_events.status is
  'pending (stored, not applied yet), processed, ignored (no lead events), failed (processing '
  'error, replayable), rejected (not a valid AmoCRM body, answered 400; kept, never replayed).';

-- Replays and monitoring look for unfinished events, oldest first.
create index traffic_amocrm_events_status_received_idx
  on public.traffic_amocrm_events (status, received_at);
create index traffic_amocrm_events_received_idx on public.traffic_amocrm_events (received_at);

revoke all on table public.traffic_amocrm_events from anon, authenticated;
grant select on table public.traffic_amocrm_events to authenticated;
grant all on table public.traffic_amocrm_events to service_role;
-- The identity sequence inherits the default grants too; inserts never need it.
revoke all on sequence public.traffic_amocrm_events_id_seq from anon, authenticated;

create policy "amocrm events: admin reads"
  on public.traffic_amocrm_events for select to authenticated
  using ((select private.is_admin()));
comment on policy "amocrm events: admin reads" on public.traffic_amocrm_events is
  'Raw CRM payloads contain every client''s contact data: admins only.';
