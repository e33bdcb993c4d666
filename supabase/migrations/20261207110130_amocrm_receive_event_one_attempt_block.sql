-- amocrm_receive_event's two attempts at the request's own body are one block (issue 16: the
-- "run the batch, read the outcome, on an error keep it with its SQLSTATE" lines were written
-- twice, `npm run duplicates` pair inside public.amocrm_receive_event). A loop over
-- p_each_alone = false, then true: the first attempt exits on success or on a lock (55P03, the
-- body stays pending), the second runs only after another error and records it. The statements
-- a request executes are the same as before, in the same order. Otherwise the newest definition,
-- 20261207062343_amocrm_receive_processes_only_its_own_body.sql (same signature, comment and
-- grants, so they are kept by create or replace).

create or replace function public.amocrm_receive_event(
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
  v_record_failure boolean;
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
    -- Nobody is draining: this request processes its own body.
    perform set_config('lock_timeout', '1s', true);
    -- Two attempts, one block: first the body in a batch of its own (an error rolls back only
    -- the processing); when that fails for any reason but a lock (55P03), the body is bad: once
    -- more, recording the error on it ('failed', replayed later). A lock held elsewhere, or an
    -- error even then, leaves it 'pending' with the error.
    foreach v_record_failure in array array[false, true] loop
      begin
        perform private.amocrm_drain_batch(1, v_event_id, v_record_failure);
        select e.status, e.error into v_status, v_error
        from public.traffic_amocrm_events e where e.id = v_event_id;
        exit;
      exception when others then
        get stacked diagnostics v_error = message_text, v_state = returned_sqlstate;
        v_status := 'pending';
        v_error := format('%s (SQLSTATE %s)', v_error, v_state);
        exit when v_state = '55P03';
      end;
    end loop;
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
