-- A replay and a drain of webhook bodies no longer deadlock: private.amocrm_replay_events takes
-- the drain lock (private.amocrm_drain_lock_key(), which amocrm_drain_events waits for and a
-- webhook request only tries) before its leads' locks. Before, the pg_cron jobs amocrm-replay and
-- amocrm-drain, running in the same minute, deadlocked on the test stack:
--   replay: holds lead L (amocrm_lock_leads), waits for body B's row (amocrm_process_event, for
--     update);
--   drain: holds body B's row (amocrm_drain_batch, for update skip locked), waits for lead L
--     (amocrm_apply_events -> amocrm_lock_leads).
-- Postgres aborted one of them ("deadlock detected"): nothing was lost (both retry), but a replay
-- or a drain failed for nothing. Now they take turns. A webhook request that finds the drain lock
-- held by a replay answers `pending`, as it does for a drain, and the background drain takes the
-- body after the replay. Otherwise the newest definition
-- (20261202300300_create_amocrm_replay_events.sql; 20261207025902 redefined only its callers).

create or replace function private.amocrm_replay_events(p_ids bigint[], p_triggered_by text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_started timestamptz := clock_timestamp();
  v_id bigint;
  v_result jsonb;
  v_counts jsonb := '{"processed": 0, "ignored": 0, "failed": 0}'::jsonb;
  v_ids bigint[] := coalesce(p_ids, '{}'::bigint[]);
  v_summary jsonb;
begin
  -- One drainer at a time: a replay takes the drain lock (as amocrm_drain_events does) before
  -- anything else, so it never runs beside a drain. A replay holds its leads' locks while it waits
  -- for each body's row; a drain holds its bodies' rows (for update skip locked) while it waits for
  -- their leads' locks. At once, the two deadlocked.
  if cardinality(v_ids) > 0 then
    perform pg_advisory_xact_lock(private.amocrm_drain_lock_key());
  end if;
  -- The locks of all their leads first, in key order, so a webhook processed meanwhile waits
  -- instead of deadlocking with the replay. Only well-formed ids: a malformed payload fails
  -- inside amocrm_process_event, not here.
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
    v_summary, p_triggered_by);
  return v_summary;
end
$$;
comment on function private.amocrm_replay_events(bigint[], text) is
  'Reprocesses the given AmoCRM events (amocrm_process_event each), records a non-empty run in '
  'traffic_sync_history (sync_type amocrm_replay); returns {selected, event_ids, processed, '
  'ignored, failed}.';
revoke all on function private.amocrm_replay_events(bigint[], text)
  from public, anon, authenticated;
