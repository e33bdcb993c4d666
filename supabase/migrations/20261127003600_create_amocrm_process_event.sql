-- Processes one stored webhook body in one transaction: its lead events join the event log, then
-- the leads they name, their attribution and their sales-ledger rows are derived again from all
-- of their events. Because the result is a function of the set of events, processing the same
-- body twice, or bodies in any order, converges on the same state.
--
-- Outcome, recorded on the event row (attempts + 1, processed_at = now()):
--   'processed' - it had lead events and they were applied;
--   'ignored'   - no lead events (contacts, tasks, notes... only): stored, nothing to do;
--   'failed'    - applying raised an error: every write of this attempt is rolled back, the
--                 error is recorded in `error`, the raw body stays for amocrm_replay_failed().
-- An event already 'processed' or 'ignored' is left alone (returned with "already": true).
create or replace function public.amocrm_process_event(p_event_id bigint)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_status text;
  v_payload jsonb;
  v_lead_ids bigint[] := '{}';
  v_leads int := 0;
  v_sales int := 0;
  v_error text;
  v_state text;
begin
  -- The row lock also serializes two processors of the same event (a retry racing a replay).
  select e.status, e.payload into v_status, v_payload
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
    v_lead_ids := private.amocrm_store_lead_events(p_event_id, v_payload);
    if cardinality(v_lead_ids) = 0 then
      v_status := 'ignored';
    else
      v_leads := private.amocrm_rebuild_leads(v_lead_ids);
      perform private.amocrm_attribute_leads(v_lead_ids);
      v_sales := private.amocrm_rebuild_sales(v_lead_ids);
      v_status := 'processed';
    end if;
  exception when others then
    get stacked diagnostics v_error = message_text, v_state = returned_sqlstate;
    v_status := 'failed';
    v_error := format('%s (SQLSTATE %s)', v_error, v_state);
  end;

  update public.traffic_amocrm_events
  set status = v_status,
      error = v_error,
      attempts = attempts + 1,
      processed_at = now()
  where id = p_event_id;

  return jsonb_strip_nulls(jsonb_build_object(
    'event_id', p_event_id,
    'status', v_status,
    'leads', cardinality(v_lead_ids),
    'leads_written', v_leads,
    'sales_written', v_sales,
    'error', v_error
  ));
end
$$;
comment on function public.amocrm_process_event(bigint) is
  'Applies a stored AmoCRM webhook body (traffic_amocrm_events.payload) to traffic_leads and the '
  'traffic_sales ledger, order-independently; marks it processed / ignored / failed (with the '
  'error) and counts the attempt. Returns {event_id, status, leads, ...}.';
revoke all on function public.amocrm_process_event(bigint) from public, anon, authenticated;
grant execute on function public.amocrm_process_event(bigint) to service_role;
