-- Access matrix for traffic_amocrm_events: raw CRM payloads are readable by admins only and
-- written by service_role only (amocrm-webhook).
begin;
select plan(20);
select tests.create_fixture();

select tests.authenticate_as_anon();
select throws_ok($$select * from public.traffic_amocrm_events$$, '42501', null, 'anon: select denied');
select throws_ok($$insert into public.traffic_amocrm_events (raw_body, body_sha256)
  values ('x', 'pgtap-sha-x')$$, '42501', null, 'anon: insert denied');
select throws_ok($$update public.traffic_amocrm_events set status = 'failed'$$, '42501', null,
  'anon: update denied');
select throws_ok($$delete from public.traffic_amocrm_events$$, '42501', null, 'anon: delete denied');

-- A and B alike: see no event, write nothing.
select * from tests.as_each(array['a', 'b'],
  $c$select is((select count(*)::int from public.traffic_amocrm_events), 0,
    '{who}: select sees nothing')$c$,
  $c$select throws_ok($$insert into public.traffic_amocrm_events (raw_body, body_sha256)
    values ('x', 'pgtap-sha-x')$$, '42501', null, '{who}: insert denied')$c$,
  $c$select throws_ok($$update public.traffic_amocrm_events set status = 'failed'$$, '42501',
    null, '{who}: update denied')$c$,
  $c$select throws_ok($$delete from public.traffic_amocrm_events$$, '42501', null,
    '{who}: delete denied')$c$);

select tests.authenticate_as(tests.uid('admin'), true);
select is((select count(*)::int from public.traffic_amocrm_events
  where body_sha256 like 'pgtap-%'), 2, 'admin: select sees every event');
select throws_ok($$insert into public.traffic_amocrm_events (raw_body, body_sha256)
  values ('x', 'pgtap-sha-x')$$, '42501', null, 'admin: insert denied');
select throws_ok($$update public.traffic_amocrm_events set status = 'failed'$$, '42501', null,
  'admin: update denied (replays go through the service)');
select throws_ok($$delete from public.traffic_amocrm_events$$, '42501', null, 'admin: delete denied');

select tests.authenticate_as_service_role();
select is((select count(*)::int from public.traffic_amocrm_events
  where body_sha256 like 'pgtap-%'), 2, 'service_role: select sees every event');
select lives_ok($$insert into public.traffic_amocrm_events (raw_body, body_sha256)
  values ('x', 'pgtap-sha-x')$$, 'service_role: insert allowed');
select is(tests.row_count($$update public.traffic_amocrm_events set status = 'processed',
  processed_at = now(), attempts = attempts + 1 where body_sha256 like 'pgtap-%'$$), 3,
  'service_role: update allowed');
select is(tests.row_count($$delete from public.traffic_amocrm_events
  where body_sha256 like 'pgtap-%'$$), 3, 'service_role: delete allowed');

select * from finish();
rollback;
