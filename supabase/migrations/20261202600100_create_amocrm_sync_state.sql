-- amocrm-sync's bookkeeping: one row per AmoCRM account we reconcile with (the key is the
-- account's subdomain). The watermarks say up to where the API has been read; a run that stops
-- at its deadline leaves them where its last complete step ended, so the next run resumes there.
-- The health columns (webhook subscriptions, token expiry, deliveries the webhooks missed) are
-- what `npm run status` reports. The access token itself is never stored here.
create table private.amocrm_sync_state (
  account text primary key check (account ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  -- Leads: the largest updated_at read; the next run asks from it minus the overlap.
  leads_watermark timestamptz,
  -- Events: the upper bound (created_at) of the last fully read event window.
  events_watermark timestamptz,
  last_run_at timestamptz,
  last_success_at timestamptz,
  last_error text check (char_length(last_error) <= 2000),
  -- GET /api/v4/webhooks as last seen: [{id, destination, disabled, settings}], and when.
  webhooks jsonb check (webhooks is null or jsonb_typeof(webhooks) = 'array'),
  webhooks_checked_at timestamptz,
  -- exp of the long-lived token (a JWT), decoded by the function; null when it has none.
  token_expires_at timestamptz,
  -- Leads whose state the last run changed (the webhooks had not delivered it), and in total.
  missed_last_run int not null default 0 check (missed_last_run >= 0),
  missed_total bigint not null default 0 check (missed_total >= 0),
  last_missed_at timestamptz,
  updated_at timestamptz not null default now()
);
alter table private.amocrm_sync_state enable row level security;
revoke all on table private.amocrm_sync_state from public, anon, authenticated, service_role;

comment on table private.amocrm_sync_state is
  'amocrm-sync per AmoCRM account: read watermarks (leads updated_at, events created_at), last '
  'run, webhook subscriptions, token expiry, counts of deliveries the webhooks missed.';
comment on column private.amocrm_sync_state.missed_last_run is
  'Leads whose traffic_leads / traffic_sales rows the last run changed: webhooks that never came.';
