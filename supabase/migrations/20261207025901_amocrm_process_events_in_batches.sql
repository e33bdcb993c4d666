-- Webhook bodies are processed in batches, by one drainer at a time (issue 11 item 1).
--
-- Before: each webhook stored its body and processed it in the same transaction
-- (amocrm_receive_event -> amocrm_process_event): under 16 connections every request locked and
-- wrote ~15 relations (lead-event log, traffic_leads, traffic_sales, the rollup delta rows and
-- their indexes) and paid the fixed cost of ~6 statements for one lead. At a year's volume that
-- was 0.30-0.39x the bare insert of the body through the same plumbing.
--
-- Now:
--   * private.amocrm_apply_events(ids): THE processing of stored bodies, set-based: the lead ids
--     of all the bodies, their locks (key order), their events into the log, then ONE
--     amocrm_rebuild_leads / amocrm_attribute_leads / amocrm_rebuild_sales over all their leads,
--     (one order of their events, private.amocrm_lead_events_order, read by both rebuilds),
--     then each body's status. Raises on any error (the caller decides what to record).
--   * public.amocrm_process_event(id): one body through amocrm_apply_events; an error is
--     recorded on the row ('failed' + error), as before. Replays use it event by event.
--   * private.amocrm_drain_batch(limit, first): takes up to `limit` pending bodies (oldest first,
--     `first` before them, pending or failed: a redelivered failed body is retried as before;
--     `for update skip locked`) and applies them together; if the batch
--     raises, each body goes alone through amocrm_process_event, so one bad body is recorded
--     'failed' and never holds back the others.
--   * public.amocrm_drain_events(wait): the drainer. One at a time (a transaction-scoped advisory
--     lock): batches of pending bodies until none is left or ~1 s has passed ("more": true).
--     With wait it queues behind the current drainer, so whatever committed before the call is
--     seen; without, it returns {"busy": true} at once.
--   * public.amocrm_receive_event(...): stores the body; if no drainer is running right now it
--     becomes the drainer for one batch (its own body first, then up to 49 older pending ones)
--     and answers the body's status ('processed' / 'ignored' / 'failed'); if another is running
--     it answers 'pending' at once (the function then kicks amocrm_drain_events in the
--     background). So a lone webhook is processed when answered, as before, and under
--     concurrency the processing of many bodies is paid once per batch.
-- Nothing is lost: a stored body is 'pending' until a drain commits its outcome; a drainer that
-- dies rolls back and leaves it 'pending' for the next drain, the background kick, or the pg_cron
-- job amocrm-replay (every minute; it drains first). Replays stay idempotent (a processed body is
-- never applied twice; the lead-event log dedupes by content).

-- The drainer's lock: the one-bigint advisory key space, apart from the leads' two-int keys
-- (6385007 = 'amo', hashint8(lead id)).
create or replace function private.amocrm_drain_lock_key()
returns bigint
language sql
immutable
set search_path = ''
as $$ select 6385007000001::bigint $$;
comment on function private.amocrm_drain_lock_key() is
  'The advisory lock (one-bigint key space) held by whoever drains pending AmoCRM bodies.';
revoke all on function private.amocrm_drain_lock_key() from public, anon, authenticated;

create or replace function private.amocrm_apply_events(p_ids bigint[])
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_lead_ids bigint[];
  v_order private.amocrm_lead_event_seq[];
  v_leads int := 0;
  v_sales int := 0;
  v_event record;
begin
  if exists (select 1 from public.traffic_amocrm_events e
      where e.id = any (p_ids) and jsonb_typeof(e.payload -> 'events') is distinct from 'array') then
    raise exception 'payload has no "events" array (was the body parsed?)' using errcode = '22023';
  end if;

  select coalesce(array_agg(distinct l.id order by l.id), '{}') into v_lead_ids
  from public.traffic_amocrm_events e
  cross join lateral unnest(private.amocrm_event_lead_ids(e.payload -> 'events')) as l (id)
  where e.id = any (p_ids);

  perform private.amocrm_lock_leads(v_lead_ids);

  for v_event in
    select e.id, e.payload -> 'events' as events
    from public.traffic_amocrm_events e
    where e.id = any (p_ids)
    order by e.id
  loop
    perform private.amocrm_insert_lead_events(v_event.id, v_event.events);
  end loop;

  if cardinality(v_lead_ids) > 0 then
    v_order := private.amocrm_lead_events_order(v_lead_ids);
    v_leads := private.amocrm_rebuild_leads(v_lead_ids, v_order);
    perform private.amocrm_attribute_leads(v_lead_ids);
    v_sales := private.amocrm_rebuild_sales(v_lead_ids, v_order);
  end if;

  update public.traffic_amocrm_events e
  set status = case when cardinality(private.amocrm_event_lead_ids(e.payload -> 'events')) = 0
        then 'ignored' else 'processed' end,
      error = null,
      attempts = e.attempts + 1,
      -- The moment of processing (a drain's transaction can be older than the bodies it takes):
      -- processed_at - received_at is how long a body waited.
      processed_at = clock_timestamp()
  where e.id = any (p_ids);

  return jsonb_build_object('events', cardinality(p_ids), 'leads', cardinality(v_lead_ids),
    'leads_written', v_leads, 'sales_written', v_sales);
end
$$;
comment on function private.amocrm_apply_events(bigint[]) is
  'THE processing of stored AmoCRM bodies, set-based: their lead events into the log, one '
  'rebuild of all their leads and ledger rows, each body marked processed / ignored. Raises on '
  'any error. Returns {events, leads, leads_written, sales_written}.';
revoke all on function private.amocrm_apply_events(bigint[])
  from public, anon, authenticated, service_role;

-- amocrm_process_event called it; amocrm_apply_events does its work for a whole batch.
drop function private.amocrm_store_lead_events(bigint, jsonb);

-- Same contract as 20261127003600 (one body, its outcome recorded, "already" when done); the
-- work is amocrm_apply_events'.
create or replace function public.amocrm_process_event(p_event_id bigint)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_status text;
  v_result jsonb := '{}';
  v_error text;
  v_state text;
begin
  -- The row lock also serializes two processors of the same event (a retry racing a replay).
  select e.status into v_status
  from public.traffic_amocrm_events e
  where e.id = p_event_id
  for update;
  if not found then
    raise exception 'amocrm_process_event: no event with id %', p_event_id
      using errcode = 'P0002';
  end if;
  if v_status in ('processed', 'ignored') then
    return jsonb_build_object('event_id', p_event_id, 'status', v_status, 'already', true);
  end if;

  begin
    v_result := private.amocrm_apply_events(array[p_event_id]);
    select e.status into v_status from public.traffic_amocrm_events e where e.id = p_event_id;
  exception when others then
    get stacked diagnostics v_error = message_text, v_state = returned_sqlstate;
    v_status := 'failed';
    v_error := format('%s (SQLSTATE %s)', v_error, v_state);
    update public.traffic_amocrm_events
    set status = 'failed', error = v_error, attempts = attempts + 1, processed_at = now()
    where id = p_event_id;
  end;

  return jsonb_strip_nulls(jsonb_build_object(
    'event_id', p_event_id,
    'status', v_status,
    'leads', coalesce((v_result ->> 'leads')::int, 0),
    'leads_written', coalesce((v_result ->> 'leads_written')::int, 0),
    'sales_written', coalesce((v_result ->> 'sales_written')::int, 0),
    'error', v_error
  ));
end
$$;
comment on function public.amocrm_process_event(bigint) is
  'Applies one stored AmoCRM webhook body (private.amocrm_apply_events) to traffic_leads and the '
  'traffic_sales ledger, order-independently; marks it processed / ignored / failed (with the '
  'error) and counts the attempt. Returns {event_id, status, leads, ...}.';
revoke all on function public.amocrm_process_event(bigint) from public, anon, authenticated;
grant execute on function public.amocrm_process_event(bigint) to service_role;

create or replace function private.amocrm_drain_batch(p_limit int, p_first bigint default null)
returns int
language plpgsql
set search_path = ''
as $$
declare
  v_ids bigint[] := '{}';
  v_id bigint;
begin
  if p_first is not null then
    v_ids := array(select e.id from public.traffic_amocrm_events e
      where e.id = p_first and e.status in ('pending', 'failed') for update skip locked);
  end if;
  v_ids := v_ids || array(
    select e.id from public.traffic_amocrm_events e
    where e.status = 'pending' and e.id is distinct from p_first
    order by e.received_at, e.id
    limit greatest(p_limit - cardinality(v_ids), 0)
    for update skip locked);
  if cardinality(v_ids) = 0 then
    return 0;
  end if;
  begin
    perform private.amocrm_apply_events(v_ids);
  exception when others then
    -- One bad body must not hold back the others: each alone, its outcome recorded on its row.
    foreach v_id in array v_ids loop
      perform public.amocrm_process_event(v_id);
    end loop;
  end;
  return cardinality(v_ids);
end
$$;
comment on function private.amocrm_drain_batch(int, bigint) is
  'Applies up to p_limit pending AmoCRM bodies together (p_first first, then the oldest; rows '
  'another transaction holds are skipped); if the batch raises, each alone through '
  'amocrm_process_event. Returns how many bodies it took. The caller holds the drain lock.';
revoke all on function private.amocrm_drain_batch(int, bigint)
  from public, anon, authenticated, service_role;

create or replace function public.amocrm_drain_events(p_wait boolean default true)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_started timestamptz := clock_timestamp();
  v_taken int;
  v_drained int := 0;
  v_more boolean := false;
begin
  -- Nothing pending (the usual case of the minute job): done, without touching the lock, so a
  -- webhook arriving now is never answered 'pending' because of an idle drain.
  if not exists (select 1 from public.traffic_amocrm_events e where e.status = 'pending') then
    return jsonb_build_object('busy', false, 'drained', 0, 'more', false);
  end if;
  if p_wait then
    perform pg_advisory_xact_lock(private.amocrm_drain_lock_key());
  elsif not pg_try_advisory_xact_lock(private.amocrm_drain_lock_key()) then
    return jsonb_build_object('busy', true, 'drained', 0, 'more', false);
  end if;
  loop
    v_taken := private.amocrm_drain_batch(200);
    v_drained := v_drained + v_taken;
    exit when v_taken = 0;
    if clock_timestamp() - v_started > interval '1 second' then
      v_more := true;
      exit;
    end if;
  end loop;
  return jsonb_build_object('busy', false, 'drained', v_drained, 'more', v_more);
end
$$;
comment on function public.amocrm_drain_events(boolean) is
  'Processes pending AmoCRM webhook bodies in batches (one drainer at a time: p_wait queues '
  'behind the current one, else {"busy": true}); stops when none is left or after ~1 s '
  '({"more": true}). Returns {busy, drained, more}.';
revoke all on function public.amocrm_drain_events(boolean) from public, anon, authenticated;
grant execute on function public.amocrm_drain_events(boolean) to service_role;

-- Same signature and answer as 20261207004600; see the header for what changed.
create or replace function public.amocrm_receive_event(
  p_raw_body text,
  p_content_type text,
  p_sha256 text,
  p_payload jsonb,
  p_account_id text,
  p_subdomain text,
  p_event_count int
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_event_id bigint;
  v_duplicate boolean;
  v_status text;
  v_error text;
  v_lock_timeout text := current_setting('lock_timeout');
begin
  select i.event_id, i.duplicate into v_event_id, v_duplicate
  from public.amocrm_ingest_event(p_raw_body, p_content_type, p_sha256, p_payload, p_account_id,
    p_subdomain, p_event_count) as i;

  select e.status into v_status from public.traffic_amocrm_events e where e.id = v_event_id;
  if v_status in ('pending', 'failed')
    and pg_try_advisory_xact_lock(private.amocrm_drain_lock_key()) then
    -- Nobody is draining: this request does, for one batch led by its own body. An error here
    -- rolls back only the processing: the body commits 'pending' for the next drain.
    perform set_config('lock_timeout', '1s', true);
    begin
      perform private.amocrm_drain_batch(50, v_event_id);
      select e.status, e.error into v_status, v_error
      from public.traffic_amocrm_events e where e.id = v_event_id;
    exception when others then
      v_status := 'pending';
      v_error := format('%s (SQLSTATE %s)', sqlerrm, sqlstate);
    end;
    perform set_config('lock_timeout', v_lock_timeout, true);
  end if;

  return jsonb_strip_nulls(jsonb_build_object('event_id', v_event_id, 'duplicate', v_duplicate,
    'status', v_status, 'error', v_error));
end
$$;
comment on function public.amocrm_receive_event(text, text, text, jsonb, text, text, int) is
  'The webhook''s call: amocrm_ingest_event(), then, when no drainer is running, one drain batch '
  'led by this body (in a subtransaction). Returns {event_id, duplicate, status}: status pending '
  'means another drainer was busy (call amocrm_drain_events) or processing could not run.';
revoke all on function public.amocrm_receive_event(text, text, text, jsonb, text, text, int)
  from public, anon, authenticated;
grant execute on function public.amocrm_receive_event(text, text, text, jsonb, text, text, int)
  to service_role;
