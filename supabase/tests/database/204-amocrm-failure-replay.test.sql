-- A body whose processing fails is kept and marked 'failed' with a readable error (its writes
-- rolled back); amocrm_replay_failed() retries failed and stale pending events, not fresh ones,
-- and records the run. A body without lead events is 'ignored'.
begin;
select plan(10);

insert into public.traffic_amocrm_pipelines (pipeline_id, name, product)
values (990300001, 'pgtap', 'intensive1d');

-- An outage for one lead: its row cannot be written until the trigger goes.
create function pg_temp.outage() returns trigger language plpgsql as $$
begin
  raise exception 'simulated outage';
end $$;
create trigger pgtap_outage before insert or update on public.traffic_leads for each row
  when (new.amocrm_lead_id = 990350001) execute function pg_temp.outage();

select set_config('pgtap.failed',
  (tests.amo_deliver(990350001, tests.amo_event('status', 142, '1000', 10)) ->> 'event_id'),
  true);
select is(
  (select row(status, error, attempts, processed_at is not null)::text
    from public.traffic_amocrm_events where id = current_setting('pgtap.failed')::bigint),
  '(failed,"simulated outage (SQLSTATE P0001)",1,t)',
  'a failing body is marked failed with the error and one attempt');
select is(
  (select raw_body is not null and payload is not null from public.traffic_amocrm_events
    where id = current_setting('pgtap.failed')::bigint),
  true, 'its raw body and payload stay for the replay');
select is(
  (select count(*)::int from private.amocrm_lead_events where amocrm_lead_id = 990350001), 0,
  'nothing of the failed attempt was kept');

-- A pending body its processor never finished: stale after five minutes, fresh before.
insert into public.traffic_amocrm_events (raw_body, body_sha256, payload, received_at)
values ('pgtap stale', 'pgtap-stale', jsonb_build_object('events', jsonb_build_array(
    tests.amo_event('add', 1, '0', 0) || '{"leadId": "990350002"}')), now() - interval '6 minutes'),
  ('pgtap fresh', 'pgtap-fresh', '{"events": []}', now());

drop trigger pgtap_outage on public.traffic_leads;
select set_config('pgtap.replay', public.amocrm_replay_failed(10000)::text, true);
select is(
  (select array_agg(id order by id) from public.traffic_amocrm_events
    where id in (select jsonb_array_elements_text(current_setting('pgtap.replay')::jsonb
      -> 'event_ids')::bigint) and raw_body in ('pgtap stale', 'pgtap fresh')),
  (select array_agg(id) from public.traffic_amocrm_events where raw_body = 'pgtap stale'),
  'the replay takes the stale pending event, not the fresh one');
select is(
  (select row(status, error, attempts)::text from public.traffic_amocrm_events
    where id = current_setting('pgtap.failed')::bigint),
  '(processed,,2)', 'the failed event is processed on replay');
select is(
  (select row(status, sale_amount)::text from public.traffic_sales
    where amocrm_lead_id = 990350001),
  '(active,1000)', 'and its sale is in the ledger');
select is(
  (select status from public.traffic_amocrm_events where raw_body = 'pgtap stale'),
  'processed', 'the stale pending one too');
select is(
  (select row(success, details ->> 'failed')::text from public.traffic_sync_history
    where sync_type = 'amocrm_replay' order by id desc limit 1),
  '(t,0)', 'the run is in traffic_sync_history');

select is(
  tests.amo_deliver(990350003, '{}'::jsonb) ->> 'status', 'failed',
  'an event the parser could not have produced fails (no action)');

select set_config('pgtap.ignored', (select event_id::text from public.amocrm_ingest_event(
  '{"events":[]}', null, encode(sha256(convert_to('{"events":[]}', 'UTF8')), 'hex'),
  '{"account": {}, "events": [], "ignored": [{"entity": "contacts", "action": "add",
  "count": 1}]}', null, null, 0)), true);
select is(
  public.amocrm_process_event(current_setting('pgtap.ignored')::bigint) ->> 'status',
  'ignored', 'a body without lead events is ignored');

select * from finish();
rollback;
