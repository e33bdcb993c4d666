-- A webhook's own batch never marks other bodies 'failed' on a lock (review W1 of issue 11).
--
-- Before (20261207025901): amocrm_receive_event ran one batch (its body + up to 49 pending ones)
-- under lock_timeout = 1s, and when the batch raised, amocrm_drain_batch retried every body alone
-- in the same request. A lead locked elsewhere (an amocrm-sync page, a re-attribution) made the
-- batch wait 1 s, then each body of that lead wait another 1 s and be recorded 'failed' (the
-- drain takes only 'pending': they waited for amocrm-replay's back-off), and the answer could
-- pass AmoCRM's 2 s.
--
-- Now:
--   * private.amocrm_drain_batch(limit, first, each_alone): with each_alone = false a raising
--     batch re-raises instead of retrying each body (the drainer's default stays true).
--   * amocrm_receive_event: the batch with each_alone = false. A lock timeout (55P03) leaves
--     every body of the batch 'pending' (its own too: the answer says so and the function kicks
--     the background drain, which waits for locks); any other error retries only the request's
--     own body alone (a bad body is still recorded 'failed', as before), never the others.
-- So the request waits at most one lock_timeout, and a transient lock is never a failure.

drop function private.amocrm_drain_batch(int, bigint);

create function private.amocrm_drain_batch(
  p_limit int,
  p_first bigint default null,
  p_each_alone boolean default true
)
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
  if not p_each_alone then
    perform private.amocrm_apply_events(v_ids);
    return cardinality(v_ids);
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
comment on function private.amocrm_drain_batch(int, bigint, boolean) is
  'Applies up to p_limit pending AmoCRM bodies together (p_first first, then the oldest; rows '
  'another transaction holds are skipped); if the batch raises: with p_each_alone each body '
  'alone through amocrm_process_event (its outcome recorded), else the error is re-raised. '
  'Returns how many bodies it took. The caller holds the drain lock.';
revoke all on function private.amocrm_drain_batch(int, bigint, boolean)
  from public, anon, authenticated, service_role;

-- Same signature and answer as 20261207025901; only the batch's error path changed (header).
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
  v_state text;
  v_lock_timeout text := current_setting('lock_timeout');
begin
  select i.event_id, i.duplicate into v_event_id, v_duplicate
  from public.amocrm_ingest_event(p_raw_body, p_content_type, p_sha256, p_payload, p_account_id,
    p_subdomain, p_event_count) as i;

  select e.status into v_status from public.traffic_amocrm_events e where e.id = v_event_id;
  if v_status in ('pending', 'failed')
    and pg_try_advisory_xact_lock(private.amocrm_drain_lock_key()) then
    -- Nobody is draining: this request does, for one batch led by its own body. An error here
    -- rolls back only the processing: the bodies commit as they were for the next drain.
    perform set_config('lock_timeout', '1s', true);
    begin
      perform private.amocrm_drain_batch(50, v_event_id, false);
      select e.status, e.error into v_status, v_error
      from public.traffic_amocrm_events e where e.id = v_event_id;
    exception when others then
      get stacked diagnostics v_error = message_text, v_state = returned_sqlstate;
      v_status := 'pending';
      v_error := format('%s (SQLSTATE %s)', v_error, v_state);
      if v_state <> '55P03' then
        -- Not a lock: a body of the batch is bad. Only this request's own body, alone, its
        -- outcome recorded; the others stay pending for the drain, which isolates the bad one.
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
comment on function public.amocrm_receive_event(text, text, text, jsonb, text, text, int) is
  'The webhook''s call: amocrm_ingest_event(), then, when no drainer is running, one drain batch '
  'led by this body (in a subtransaction, waiting at most 1 s for a lock). Returns {event_id, '
  'duplicate, status}: status pending means another drainer was busy or a lock was held '
  '(the background drain takes it), or processing could not run; a raising batch retries only '
  'this body alone and never marks another body failed.';
