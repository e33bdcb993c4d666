-- The webhook's one round trip: store the body and process it in ONE transaction (one PostgREST
-- call, one commit) instead of amocrm_ingest_event + amocrm_process_event (two calls, two commits
-- each waiting for the WAL flush) - the plumbing of a webhook was twice that of a bare insert.
--
-- Nothing is lost: processing runs in a subtransaction after the body is stored. An error of
-- processing that amocrm_process_event does not itself record (a lock wait past lock_timeout on
-- the event row, say) rolls back only the processing: the body commits 'pending', and the
-- amocrm-replay job processes it once stale. The body and the processing are both committed, or
-- neither (the webhook then answers 503 and AmoCRM sends it again; the SHA-256 dedupes).
-- Processing waits at most lock_timeout (1 s) for a lock, so the answer stays within AmoCRM's 2 s.
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
  v_result jsonb;
  v_lock_timeout text := current_setting('lock_timeout');
begin
  select i.event_id, i.duplicate into v_event_id, v_duplicate
  from public.amocrm_ingest_event(p_raw_body, p_content_type, p_sha256, p_payload, p_account_id,
    p_subdomain, p_event_count) as i;

  perform set_config('lock_timeout', '1s', true);
  begin
    v_result := public.amocrm_process_event(v_event_id);
  exception when others then
    v_result := jsonb_build_object('event_id', v_event_id, 'status', 'pending',
      'error', format('%s (SQLSTATE %s)', sqlerrm, sqlstate));
  end;
  perform set_config('lock_timeout', v_lock_timeout, true);

  return v_result || jsonb_build_object('event_id', v_event_id, 'duplicate', v_duplicate);
end
$$;
comment on function public.amocrm_receive_event(text, text, text, jsonb, text, text, int) is
  'The webhook''s call: amocrm_ingest_event() then amocrm_process_event() in one transaction, '
  'processing in a subtransaction (an error there leaves the stored body pending for replay). '
  'Returns amocrm_process_event''s result plus {event_id, duplicate}.';
revoke all on function public.amocrm_receive_event(text, text, text, jsonb, text, text, int)
  from public, anon, authenticated;
grant execute on function public.amocrm_receive_event(text, text, text, jsonb, text, text, int)
  to service_role;
