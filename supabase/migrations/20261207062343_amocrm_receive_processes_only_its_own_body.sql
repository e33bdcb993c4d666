-- A webhook processes its own body, and only while the function's background drain is idle;
-- under concurrency the drain processes the bodies in batches (issue 11 item 1).
--
-- Before (20261207041000): a request that found the drain lock free processed one batch led by
-- its body (up to 50). Under 16 connections the lock is free between any two batches, so the
-- requests took turns processing ~5 bodies each (the dev stack at 16 connections: 262 batches for
-- 1,385 bodies), and every batch paid the fixed cost of processing (the leads' locks, the event
-- order, the two rebuilds, the attribution, the rollup statements) for a handful of bodies.
--
-- Now amocrm_receive_event takes p_process (default true): the function passes false while its
-- background drain is gathering or running (it answered bodies `pending` moments ago: the drain
-- will take this body with them, in one batch). With p_process false the request still processes
-- its body when no other body is pending after all (another drainer took them: the drain would
-- find only this one). With p_process (or nothing else pending) and the drain lock free, the
-- request processes its OWN body only (never a batch of other webhooks' bodies), in a
-- subtransaction with lock_timeout 1 s: the lone webhook of AmoCRM's usual pace is still answered
-- `processed`, a lock held elsewhere makes it wait at most one lock_timeout for its own leads and
-- leaves only its own body pending (review W1 stays fixed), a bad body is recorded `failed`.
-- (Deciding "alone" in SQL for every request, by looking for other pending bodies oldest first,
-- cost an index scan over the dead `pending` entries of every body processed since the last
-- vacuum: ~0.5 ms a request under load. The look is now made only with p_process false, newest
-- first, where the live pending bodies are.)

drop function public.amocrm_receive_event(text, text, text, jsonb, text, text, int);

create function public.amocrm_receive_event(
  p_raw_body text,
  p_content_type text,
  p_sha256 text,
  p_payload jsonb,
  p_account_id text,
  p_subdomain text,
  p_event_count int,
  p_process boolean default true
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
  v_state text;
  v_lock_timeout text := current_setting('lock_timeout');
begin
  select i.event_id, i.duplicate into v_event_id, v_duplicate
  from public.amocrm_ingest_event(p_raw_body, p_content_type, p_sha256, p_payload, p_account_id,
    p_subdomain, p_event_count) as i;

  select e.status into v_status from public.traffic_amocrm_events e where e.id = v_event_id;
  if v_status in ('pending', 'failed')
    and (p_process
      or (select e.id from public.traffic_amocrm_events e
          where e.status = 'pending' and e.id <> v_event_id
          order by e.received_at desc limit 1) is null)
    and pg_try_advisory_xact_lock(private.amocrm_drain_lock_key()) then
    -- Nobody is draining: this request processes its own body. An error here rolls back only
    -- the processing.
    perform set_config('lock_timeout', '1s', true);
    begin
      perform private.amocrm_drain_batch(1, v_event_id, false);
      select e.status, e.error into v_status, v_error
      from public.traffic_amocrm_events e where e.id = v_event_id;
    exception when others then
      get stacked diagnostics v_error = message_text, v_state = returned_sqlstate;
      v_status := 'pending';
      v_error := format('%s (SQLSTATE %s)', v_error, v_state);
      if v_state <> '55P03' then
        -- Not a lock: the body is bad. Recorded 'failed' with the error, replayed later.
        begin
          perform private.amocrm_drain_batch(1, v_event_id, true);
          select e.status, e.error into v_status, v_error
          from public.traffic_amocrm_events e where e.id = v_event_id;
        exception when others then
          get stacked diagnostics v_error = message_text, v_state = returned_sqlstate;
          v_status := 'pending';
          v_error := format('%s (SQLSTATE %s)', v_error, v_state);
        end;
      end if;
    end;
    perform set_config('lock_timeout', v_lock_timeout, true);
  end if;

  return jsonb_strip_nulls(jsonb_build_object('event_id', v_event_id, 'duplicate', v_duplicate,
    'status', v_status, 'error', v_error));
end
$$;
comment on function public.amocrm_receive_event(text, text, text, jsonb, text, text, int, boolean)
  is 'The webhook''s call: amocrm_ingest_event(), then, with p_process (or no other body '
  'pending) and no drainer running, the processing of this body alone (in a subtransaction, '
  'waiting at most 1 s for a lock). Returns {event_id, duplicate, status}: status pending means '
  'the caller''s drain will take it with the others (p_process false), a drainer was busy, a '
  'lock was held, or processing could not run. Never touches another webhook''s body.';
revoke all on function public.amocrm_receive_event(text, text, text, jsonb, text, text, int,
  boolean) from public, anon, authenticated;
grant execute on function public.amocrm_receive_event(text, text, text, jsonb, text, text, int,
  boolean) to service_role;

-- The drainer stops when a batch was not full: it took every body pending when it started, and
-- those stored since then are the next drain's, which the function starts after its gathering
-- delay (before: it went on at once with whatever had arrived during the batch, so under load it
-- drained batch after batch of a few bodies). A backlog still goes in full batches of 200 until
-- ~1 s has passed ("more": the caller calls again). Otherwise the same as 20261207025901.
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
    exit when v_taken < 200;
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
  'behind the current one, else {"busy": true}): every body pending when it starts, in batches '
  'of 200, stopping after a batch that was not full or after ~1 s ({"more": true}). Returns '
  '{busy, drained, more}.';
