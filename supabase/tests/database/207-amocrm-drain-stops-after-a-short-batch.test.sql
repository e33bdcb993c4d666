-- amocrm_drain_events drains in batches of 200 and stops after a batch that was not full (review
-- R1 L4): that batch took every body pending when it started, and the bodies stored since then are
-- the next drain's (the function's drain after its gathering delay, or the pg_cron job). A drain
-- that went on would run batch after batch of a few bodies under load (20261207062343). The
-- batches are counted as calls of private.amocrm_drain_batch in this transaction
-- (pg_stat_xact_user_functions, with track_functions on), not timed.
begin;
select plan(8);

set local track_functions = 'all';

-- Bodies other tests left pending are not this test's: set aside until the rollback.
update public.traffic_amocrm_events set status = 'ignored' where status = 'pending';

insert into public.traffic_amocrm_pipelines (pipeline_id, name, product)
values (990207001, 'pgtap drain', 'express');

-- n pending bodies, one lead event each (lead 990207000 + i), with a salt so each body is new.
create function pg_temp.store_pending(p_n int, p_salt text)
returns int language sql as $$
  select count(i.event_id)::int
  from generate_series(1, p_n) g(n)
  cross join lateral (select jsonb_build_object('account', '{}'::jsonb, 'ignored', '[]'::jsonb,
      'salt', p_salt || g.n, 'events', jsonb_build_array(
        tests.amo_event('add', 1, '0', g.n, 990207001)
          || jsonb_build_object('leadId', (990207000 + g.n)::text))) as p) b
  cross join lateral public.amocrm_ingest_event(b.p::text, null,
    encode(sha256(convert_to(b.p::text, 'UTF8')), 'hex'), b.p, null, null, 1) as i
$$;

create function pg_temp.batches()
returns bigint language sql as $$
  select coalesce(sum(f.calls), 0) from pg_stat_xact_user_functions f
  where f.schemaname = 'private' and f.funcname = 'amocrm_drain_batch'
$$;

select is(pg_temp.store_pending(3, 'three-'), 3, 'three bodies stored, pending');
select is(public.amocrm_drain_events(true), '{"busy": false, "drained": 3, "more": false}'::jsonb,
  'three pending bodies: drained, nothing more');
select is(pg_temp.batches(), 1::bigint,
  'one batch: a batch that was not full (3 of 200) ends the drain');

select is(pg_temp.store_pending(201, 'many-'), 201, '201 bodies stored, pending');
select is(public.amocrm_drain_events(true), '{"busy": false, "drained": 201, "more": false}'::jsonb,
  '201 pending bodies: all drained');
select is(pg_temp.batches() - 1, 2::bigint,
  'two batches: a full one (200) goes on, the next (1 of 200) ends the drain');
select is((select count(*)::int from public.traffic_amocrm_events where status = 'pending'), 0,
  'nothing is left pending');

select is(public.amocrm_drain_events(true), '{"busy": false, "drained": 0, "more": false}'::jsonb,
  'nothing pending: no batch at all');

select * from finish();
rollback;
