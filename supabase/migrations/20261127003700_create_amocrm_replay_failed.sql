-- Reprocesses stored webhook bodies that did not get through: every 'failed' event and every
-- 'pending' one older than five minutes (its processor died before finishing), oldest first, up
-- to p_limit. Each event is processed by amocrm_process_event() (its own subtransaction, so one
-- failing event does not stop the rest). The locks of all their leads are taken first, in key
-- order, so a webhook processed meanwhile waits instead of deadlocking with the replay. A run that found something to do is recorded in
-- traffic_sync_history (sync_type 'amocrm_replay'); an empty run leaves no row.
create or replace function public.amocrm_replay_failed(p_limit int default 100)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_started timestamptz := clock_timestamp();
  v_id bigint;
  v_result jsonb;
  v_counts jsonb := '{"processed": 0, "ignored": 0, "failed": 0}';
  v_ids bigint[] := '{}';
  v_summary jsonb;
begin
  if p_limit is null or p_limit < 1 or p_limit > 10000 then
    raise exception 'amocrm_replay_failed: p_limit must be between 1 and 10000'
      using errcode = '22023';
  end if;

  select coalesce(array_agg(s.id order by s.received_at, s.id), '{}') into v_ids
  from (
    select e.id, e.received_at
    from public.traffic_amocrm_events e
    where e.status = 'failed'
       or (e.status = 'pending' and e.received_at < now() - interval '5 minutes')
    order by e.received_at, e.id
    limit p_limit
  ) s;

  -- Only well-formed ids: a malformed payload fails inside amocrm_process_event, not here.
  perform private.amocrm_lock_leads(array(
    select (ev ->> 'leadId')::bigint
    from public.traffic_amocrm_events e
    cross join lateral jsonb_array_elements(
      case when jsonb_typeof(e.payload -> 'events') = 'array' then e.payload -> 'events'
        else '[]' end) ev
    where e.id = any (v_ids) and ev ->> 'leadId' ~ '^[0-9]{1,18}$'));

  foreach v_id in array v_ids loop
    v_result := public.amocrm_process_event(v_id);
    v_counts := jsonb_set(v_counts, array[v_result ->> 'status'],
      to_jsonb(coalesce((v_counts ->> (v_result ->> 'status'))::int, 0) + 1));
  end loop;

  v_summary := jsonb_build_object('selected', cardinality(v_ids), 'event_ids', to_jsonb(v_ids))
    || v_counts;

  if cardinality(v_ids) = 0 then
    return v_summary;
  end if;
  insert into public.traffic_sync_history (sync_type, started_at, finished_at, success,
    records_synced, duration_ms, error_message, details, triggered_by)
  values ('amocrm_replay', v_started, clock_timestamp(), (v_counts ->> 'failed')::int = 0,
    cardinality(v_ids) - (v_counts ->> 'failed')::int,
    (extract(epoch from clock_timestamp() - v_started) * 1000)::int,
    case when (v_counts ->> 'failed')::int > 0
      then format('%s event(s) still failing', v_counts ->> 'failed') end,
    v_summary, 'replay');

  return v_summary;
end
$$;
comment on function public.amocrm_replay_failed(int) is
  'Reprocesses up to p_limit failed (and stale pending) AmoCRM webhook events, oldest first; '
  'returns {selected, event_ids, processed, ignored, failed} and logs non-empty runs in '
  'traffic_sync_history.';
revoke all on function public.amocrm_replay_failed(int) from public, anon, authenticated;
grant execute on function public.amocrm_replay_failed(int) to service_role;
