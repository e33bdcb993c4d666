-- The lead-event log behind traffic_leads and the sales ledger: one row per distinct lead event
-- (a lead's add / update / status / delete / restore as the webhook parser normalized it), kept
-- once however many bodies carried it. A lead's row in traffic_leads and its ledger entry are
-- DERIVED from the set of its events (private.amocrm_rebuild_leads), so any delivery order, any
-- repetition and any replay give the same state. Lives in `private`: PostgREST never exposes it.
create table private.amocrm_lead_events (
  id bigint generated always as identity primary key,
  amocrm_lead_id bigint not null,
  -- The first stored body that carried it; raw bodies may be purged, the log must stay.
  event_id bigint references public.traffic_amocrm_events (id) on delete set null,
  action text not null check (action in ('add', 'update', 'status', 'delete', 'restore')),
  -- AmoCRM's updated_at (else last_modified); delete/restore bodies carry none.
  occurred_at timestamptz,
  -- Orders events of the same second: add < update < status < delete < restore.
  action_rank smallint not null,
  -- md5 of the normalized event (jsonb text is canonical): the dedupe key and the last tie-break.
  content_hash text not null,
  status_id bigint,
  pipeline_id bigint,
  price numeric,
  name text,
  responsible_user_id bigint,
  lead_created_at timestamptz,
  utm_source text,
  utm_medium text,
  utm_campaign text,
  utm_content text,
  utm_term text,
  fbclid text,
  custom_fields jsonb not null default '[]',
  received_at timestamptz not null default now(),
  constraint amocrm_lead_events_lead_content_key unique (amocrm_lead_id, content_hash)
);
alter table private.amocrm_lead_events enable row level security;

comment on table private.amocrm_lead_events is
  'Distinct AmoCRM lead events (deduped by content). traffic_leads and traffic_sales rows are '
  'derived from them, which makes processing order-independent and replays idempotent.';
comment on column private.amocrm_lead_events.occurred_at is
  'AmoCRM updated_at/last_modified of the event; null for delete/restore (not sent by AmoCRM).';
comment on column private.amocrm_lead_events.content_hash is
  'md5 of the normalized event JSON: identical events from different bodies are stored once.';

create index amocrm_lead_events_event_idx on private.amocrm_lead_events (event_id);

-- Only the processing functions (security definer, run as the owner) touch it.
revoke all on table private.amocrm_lead_events from public, anon, authenticated, service_role;
