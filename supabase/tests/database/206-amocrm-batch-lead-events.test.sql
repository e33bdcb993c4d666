-- A batch of stored bodies is applied together (private.amocrm_apply_events): its lead events go
-- into the log with ONE insert (private.amocrm_insert_lead_events over arrays), each distinct
-- content once, the earlier body's row kept when two bodies carry the same change; every body
-- ends processed; the one-body form is that same function.
begin;
select plan(7);

insert into public.traffic_amocrm_pipelines (pipeline_id, name, product)
values (990206001, 'pgtap batch', 'express');

create function pg_temp.store(p_lead bigint, p_event jsonb, p_salt text)
returns bigint language sql as $$
  select i.event_id from (select jsonb_build_object('account', '{}'::jsonb,
      'ignored', '[]'::jsonb, 'salt', p_salt,
      'events', jsonb_build_array(p_event || jsonb_build_object('leadId', p_lead::text))) as p) b
  cross join lateral public.amocrm_ingest_event(b.p::text, null,
    encode(sha256(convert_to(b.p::text, 'UTF8')), 'hex'), b.p, null, null, 1) as i
$$;

-- Three bodies: two carry the same change of lead 990206101 (a redelivery with another body),
-- one is about lead 990206102.
create temp table bodies as
select pg_temp.store(990206101, tests.amo_event('add', 1, '0', 10, 990206001), 'a') as a,
  pg_temp.store(990206101, tests.amo_event('add', 1, '0', 10, 990206001), 'b') as b,
  pg_temp.store(990206102, tests.amo_event('status', 142, '7000', 20, 990206001), 'c') as c;

select is(
  (select private.amocrm_apply_events(array[a, b, c]) ->> 'events' from bodies), '3',
  'the three bodies are applied together');
select is(
  (select count(*)::int from private.amocrm_lead_events
    where amocrm_lead_id in (990206101, 990206102)), 2,
  'one log row per distinct change');
select is(
  (select e.event_id from private.amocrm_lead_events e where e.amocrm_lead_id = 990206101),
  (select a from bodies), 'the earlier body keeps the shared change');
select is(
  (select array_agg(e.status order by e.id) from public.traffic_amocrm_events e, bodies b
    where e.id in (b.a, b.b, b.c)), array['processed', 'processed', 'processed'],
  'every body of the batch is processed');
select is(
  (select sale_amount::text from public.traffic_sales where amocrm_lead_id = 990206102), '7000',
  'the batch''s sale is in the ledger');

select is(
  private.amocrm_insert_lead_events(null::bigint,
    jsonb_build_array(tests.amo_event('update', 2, '0', 30, 990206001)
      || '{"leadId": "990206101"}'::jsonb)), 1,
  'the one-body form adds a new change');
select ok(
  (select p.prosrc !~* 'insert\s+into' from pg_proc p
    where p.oid = 'private.amocrm_insert_lead_events(bigint, jsonb)'::regprocedure),
  'the one-body form only calls the array form (one mapping of keys to columns)');

select * from finish();
rollback;
