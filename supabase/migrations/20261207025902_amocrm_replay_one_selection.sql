-- The two replays pick their events by ONE definition (issue 16). amocrm_replay_failed (the
-- admin call) and amocrm_replay_due (the pg_cron job amocrm-replay) each wrote the same
-- selection: stale pending events (private.amocrm_stale_pending_age()) and failed ones. They
-- differ in one thing, now a parameter of private.amocrm_events_to_replay: the job waits out
-- each failed event's back-off (1, 2, 4 ... minutes after its last attempt, at most an hour) and
-- takes fewest attempts first; the admin call takes every failed event, oldest first.
-- Otherwise both are their previous definitions (20261202300300_create_amocrm_replay_events.sql).
create or replace function private.amocrm_events_to_replay(p_limit int, p_backoff boolean,
  p_caller text)
returns bigint[]
language plpgsql
stable
set search_path = ''
as $$
begin
  if p_limit is null or p_limit < 1 or p_limit > 10000 then
    raise exception '%: p_limit must be between 1 and 10000', p_caller using errcode = '22023';
  end if;
  return (
    select coalesce(array_agg(s.id order by s.rank, s.received_at, s.id), '{}')
    from (
      select e.id, e.received_at, case when p_backoff then e.attempts else 0 end as rank
      from public.traffic_amocrm_events e
      where (e.status = 'pending'
          and e.received_at < now() - private.amocrm_stale_pending_age())
         or (e.status = 'failed'
          and (not p_backoff
            or coalesce(e.processed_at, e.received_at) < now()
              - least(interval '1 minute' * power(2, least(greatest(e.attempts, 1) - 1, 6)),
                interval '1 hour')))
      order by rank, e.received_at, e.id
      limit p_limit
    ) s);
end
$$;
comment on function private.amocrm_events_to_replay(int, boolean, text) is
  'THE selection of AmoCRM events to replay: stale pending ones and failed ones (with p_backoff: '
  'only those past their back-off, fewest attempts first; else all, oldest first), at most '
  'p_limit. p_caller names the caller in the error for a bad p_limit.';
revoke all on function private.amocrm_events_to_replay(int, boolean, text)
  from public, anon, authenticated, service_role;

create or replace function public.amocrm_replay_failed(p_limit int default 100)
returns jsonb
language sql
security definer
set search_path = ''
as $$
  select private.amocrm_replay_events(
    private.amocrm_events_to_replay(p_limit, false, 'amocrm_replay_failed'), 'replay')
$$;
comment on function public.amocrm_replay_failed(int) is
  'Reprocesses up to p_limit failed (and stale pending) AmoCRM webhook events, oldest first; '
  'returns {selected, event_ids, processed, ignored, failed} and logs non-empty runs in '
  'traffic_sync_history.';
revoke all on function public.amocrm_replay_failed(int) from public, anon, authenticated;
grant execute on function public.amocrm_replay_failed(int) to service_role;

create or replace function private.amocrm_replay_due(p_limit int default 200)
returns jsonb
language sql
security definer
set search_path = ''
as $$
  select private.amocrm_replay_events(
    private.amocrm_events_to_replay(p_limit, true, 'amocrm_replay_due'), 'cron')
$$;
comment on function private.amocrm_replay_due(int) is
  'The scheduled replay (pg_cron job amocrm-replay): up to p_limit stale pending AmoCRM events '
  'and failed ones past their back-off (1, 2, 4 ... 60 minutes), fewest attempts first.';
revoke all on function private.amocrm_replay_due(int) from public, anon, authenticated;
