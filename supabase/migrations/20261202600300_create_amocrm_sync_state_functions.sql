-- Read and write amocrm-sync's bookkeeping (private.amocrm_sync_state) through PostgREST, for
-- the function only (service_role), and a health summary for `npm run status`.

-- The state of one account as JSON ({} when it was never synced).
create or replace function public.amocrm_sync_get_state(p_account text)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce((select to_jsonb(s) from private.amocrm_sync_state s
    where s.account = p_account), '{}'::jsonb)
$$;
comment on function public.amocrm_sync_get_state(text) is
  'amocrm-sync: the bookkeeping row of an AmoCRM account (watermarks, health) as JSON, or {}.';
revoke all on function public.amocrm_sync_get_state(text) from public, anon, authenticated;
grant execute on function public.amocrm_sync_get_state(text) to service_role;

-- Records a run's outcome. Only keys present in p_state change; a watermark never moves back
-- (two overlapping runs cannot undo each other's progress); missed_total adds missed_last_run.
create or replace function public.amocrm_sync_record(p_account text, p_state jsonb)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if jsonb_typeof(p_state) is distinct from 'object' then
    raise exception 'amocrm_sync_record: p_state must be a JSON object' using errcode = '22023';
  end if;
  if p_account is null or p_account !~ '^[a-z0-9][a-z0-9-]{0,62}$' then
    raise exception 'amocrm_sync_record: invalid account %', coalesce(p_account, 'null')
      using errcode = '22023';
  end if;
  insert into private.amocrm_sync_state as s (account) values (p_account)
  on conflict (account) do nothing;
  update private.amocrm_sync_state s
  set leads_watermark = greatest(s.leads_watermark, (p_state ->> 'leads_watermark')::timestamptz),
      events_watermark = greatest(s.events_watermark,
        (p_state ->> 'events_watermark')::timestamptz),
      last_run_at = coalesce((p_state ->> 'last_run_at')::timestamptz, s.last_run_at),
      last_success_at = coalesce((p_state ->> 'last_success_at')::timestamptz, s.last_success_at),
      last_error = case when p_state ? 'last_error' then left(p_state ->> 'last_error', 2000)
        else s.last_error end,
      webhooks = case when p_state ? 'webhooks' then p_state -> 'webhooks' else s.webhooks end,
      webhooks_checked_at = case when p_state ? 'webhooks' then now()
        else s.webhooks_checked_at end,
      token_expires_at = case when p_state ? 'token_expires_at'
        then (p_state ->> 'token_expires_at')::timestamptz else s.token_expires_at end,
      missed_last_run = case when p_state ? 'missed' then (p_state ->> 'missed')::int
        else s.missed_last_run end,
      missed_total = s.missed_total + coalesce((p_state ->> 'missed')::int, 0),
      last_missed_at = case when coalesce((p_state ->> 'missed')::int, 0) > 0 then now()
        else s.last_missed_at end,
      updated_at = now()
  where s.account = p_account;
end
$$;
comment on function public.amocrm_sync_record(text, jsonb) is
  'amocrm-sync: records a run (watermarks only move forward, webhooks, token expiry, missed '
  'deliveries) in private.amocrm_sync_state.';
revoke all on function public.amocrm_sync_record(text, jsonb) from public, anon, authenticated;
grant execute on function public.amocrm_sync_record(text, jsonb) to service_role;

-- What `npm run status` shows, one row per account: disabled webhook subscriptions, days until
-- the token expires (warn at 30), deliveries the webhooks missed (last run, 24 h, in total).
create or replace function public.amocrm_sync_health()
returns table (
  account text,
  last_run_at timestamptz,
  last_success_at timestamptz,
  last_error text,
  webhooks_checked_at timestamptz,
  webhooks_total int,
  webhooks_disabled int,
  disabled_destinations text[],
  token_expires_at timestamptz,
  token_days_left int,
  missed_last_run int,
  missed_24h bigint,
  missed_total bigint,
  last_missed_at timestamptz,
  leads_watermark timestamptz,
  events_watermark timestamptz
)
language sql
stable
security definer
set search_path = ''
as $$
  select s.account, s.last_run_at, s.last_success_at, s.last_error, s.webhooks_checked_at,
    coalesce(jsonb_array_length(s.webhooks), 0),
    (select count(*)::int from jsonb_array_elements(coalesce(s.webhooks, '[]')) w
      where (w ->> 'disabled')::boolean),
    (select coalesce(array_agg(w ->> 'destination' order by w ->> 'destination'), '{}')
      from jsonb_array_elements(coalesce(s.webhooks, '[]')) w
      where (w ->> 'disabled')::boolean),
    s.token_expires_at,
    floor(extract(epoch from s.token_expires_at - now()) / 86400)::int,
    s.missed_last_run,
    (select coalesce(sum((h.details ->> 'missed')::bigint), 0)
      from public.traffic_sync_history h
      where h.sync_type = 'amocrm' and h.started_at > now() - interval '24 hours'
        and h.details ->> 'account' = s.account),
    s.missed_total, s.last_missed_at, s.leads_watermark, s.events_watermark
  from private.amocrm_sync_state s
  order by s.account
$$;
comment on function public.amocrm_sync_health() is
  'amocrm-sync health per account for npm run status: webhooks (total, disabled), token days '
  'left, deliveries the webhooks missed (last run, 24 h, total), watermarks.';
revoke all on function public.amocrm_sync_health() from public, anon, authenticated;
grant execute on function public.amocrm_sync_health() to service_role;
