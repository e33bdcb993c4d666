-- One replay engine for the admin call and the scheduled job. private.amocrm_replay_events()
-- reprocesses a given set of stored webhook events and records a non-empty run in
-- traffic_sync_history; the two callers differ only in what they pick:
--   public.amocrm_replay_failed(limit) - the admin replay (npm run amocrm:replay, ?replay=failed):
--     every 'failed' event and every 'pending' one older than private.amocrm_stale_pending_age();
--   private.amocrm_replay_due(limit)   - the pg_cron job (every minute): the same stale pending
--     events, and the failed ones whose back-off has passed (1, 2, 4 ... minutes after their
--     last attempt, at most an hour), fewest attempts first, so a body that keeps failing is
--     retried less and less often and never starves newer ones.
-- Both are bounded by p_limit and idempotent: amocrm_process_event() leaves an event already
-- processed (by a webhook, another replay) alone, and its row lock serializes two replays.

-- When a 'pending' event counts as abandoned (its processor died before finishing). One
-- definition, used by both replays and by npm run status.
create or replace function private.amocrm_stale_pending_age()
returns interval
language sql
immutable
set search_path = ''
as $$ select interval '5 minutes' $$;
comment on function private.amocrm_stale_pending_age() is
  'How old a pending AmoCRM event must be before the replays take it and status reports it.';
revoke all on function private.amocrm_stale_pending_age() from public, anon, authenticated;

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

create or replace function public.amocrm_replay_failed(p_limit int default 100)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids bigint[];
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
       or (e.status = 'pending'
         and e.received_at < now() - private.amocrm_stale_pending_age())
    order by e.received_at, e.id
    limit p_limit
  ) s;
  return private.amocrm_replay_events(v_ids, 'replay');
end
$$;
comment on function public.amocrm_replay_failed(int) is
  'Reprocesses up to p_limit failed (and stale pending) AmoCRM webhook events, oldest first; '
  'returns {selected, event_ids, processed, ignored, failed} and logs non-empty runs in '
  'traffic_sync_history.';
revoke all on function public.amocrm_replay_failed(int) from public, anon, authenticated;
grant execute on function public.amocrm_replay_failed(int) to service_role;

create or replace function private.amocrm_replay_due(p_limit int default 200)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids bigint[];
begin
  if p_limit is null or p_limit < 1 or p_limit > 10000 then
    raise exception 'amocrm_replay_due: p_limit must be between 1 and 10000'
      using errcode = '22023';
  end if;
  select coalesce(array_agg(s.id order by s.attempts, s.received_at, s.id), '{}') into v_ids
  from (
    select e.id, e.attempts, e.received_at
    from public.traffic_amocrm_events e
    where (e.status = 'pending'
        and e.received_at < now() - private.amocrm_stale_pending_age())
       or (e.status = 'failed'
        and coalesce(e.processed_at, e.received_at) < now()
          - least(interval '1 minute' * power(2, least(greatest(e.attempts, 1) - 1, 6)),
            interval '1 hour'))
    order by e.attempts, e.received_at, e.id
    limit p_limit
  ) s;
  return private.amocrm_replay_events(v_ids, 'cron');
end
$$;
comment on function private.amocrm_replay_due(int) is
  'The scheduled replay (pg_cron job amocrm-replay): up to p_limit stale pending AmoCRM events '
  'and failed ones past their back-off (1, 2, 4 ... 60 minutes), fewest attempts first.';
revoke all on function private.amocrm_replay_due(int) from public, anon, authenticated;
