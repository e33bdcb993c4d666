-- amocrm_ingest_event(): a body is stored once per SHA-256; the same body again returns the same
-- id with duplicate = true; a hash that is not the body's is refused.
begin;
select plan(6);
select tests.authenticate_as_service_role();

create temp table got on commit drop as
  select 1 as n, * from public.amocrm_ingest_event('pgtap body', 'text/plain',
    encode(sha256(convert_to('pgtap body', 'UTF8')), 'hex'), '{"events": []}', '1', 'x', 0);
insert into got
  select 2, * from public.amocrm_ingest_event('pgtap body', 'text/plain',
    upper(encode(sha256(convert_to('pgtap body', 'UTF8')), 'hex')), '{"events": []}', '1', 'x', 0);

select is((select duplicate from got where n = 1), false, 'the first delivery is new');
select is((select duplicate from got where n = 2), true, 'the second is a duplicate');
select is((select event_id from got where n = 2), (select event_id from got where n = 1),
  'with the same event id');
reset role;
select is(
  (select count(*)::int from public.traffic_amocrm_events where raw_body = 'pgtap body'), 1,
  'one row');
select is(
  (select row(status, attempts, account_id, account_subdomain)::text
    from public.traffic_amocrm_events where raw_body = 'pgtap body'),
  '(pending,0,1,x)',
  'stored pending, with its account');
select throws_ok(
  $$select * from public.amocrm_ingest_event('pgtap other', null, repeat('0', 64), null, null,
    null, 0)$$,
  '22023', null,
  'a hash that is not the body''s is refused');

select * from finish();
rollback;
