-- A replay of webhook bodies runs only when no drain does (migration 20261207115118): it takes
-- the drain lock (private.amocrm_drain_lock_key(), the lock amocrm_drain_events waits for) before
-- its leads' locks. A replay holds its leads' locks while it waits for each body's row; a drain
-- holds its bodies' rows while it waits for their leads' locks, so the two at once deadlocked (the
-- pg_cron jobs amocrm-replay and amocrm-drain in the same minute, seen on the test stack). Checked
-- in this transaction's locks (pg_locks), so no second session and no timing is needed.
begin;
select plan(4);

create function pg_temp.holds_drain_lock()
returns boolean language sql as $$
  select exists (select 1 from pg_locks l
    where l.locktype = 'advisory' and l.pid = pg_backend_pid() and l.granted
      and l.classid = (private.amocrm_drain_lock_key() >> 32)::oid
      and l.objid = (private.amocrm_drain_lock_key() & 4294967295)::oid
      and l.objsubid = 1)
$$;

insert into public.traffic_amocrm_pipelines (pipeline_id, name, product)
values (990208001, 'pgtap replay', 'express');

select is((private.amocrm_replay_events('{}', 'pgtap') ->> 'selected')::int, 0,
  'a replay with nothing selected');
select ok(not pg_temp.holds_drain_lock(), 'takes no drain lock');

select is(
  (private.amocrm_replay_events(array[(tests.amo_deliver(990208101,
      tests.amo_event('add', 1, '0', 10, 990208001)) ->> 'event_id')::bigint], 'pgtap')
    ->> 'processed')::int, 1,
  'a replay of one body processes it ...');
select ok(pg_temp.holds_drain_lock(),
  '... holding the drain lock, so no drain runs beside it (no deadlock)');

select * from finish();
rollback;
