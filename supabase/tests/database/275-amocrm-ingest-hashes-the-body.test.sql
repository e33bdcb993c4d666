-- amocrm_ingest_event / amocrm_receive_event with p_sha256 null (20261208001400: the webhook
-- function no longer hashes the body): the body is stored under the SHA-256 of its UTF-8 text,
-- computed in SQL, the same key a caller's hash gave before; the same body again (with or without
-- a hash) is a duplicate with the same id; a given hash that is not the body's is still refused.
-- On the old code the first null call raises 22023 ("p_raw_body and p_sha256 are required").
begin;
select plan(9);
select tests.authenticate_as_service_role();

create temp table got on commit drop as
  select 1 as n, * from public.amocrm_ingest_event('pgtap 275 body ё', 'text/plain', null,
    '{"events": []}', '1', 'x', 0);
insert into got
  select 2, * from public.amocrm_ingest_event('pgtap 275 body ё', 'text/plain', null,
    '{"events": []}', '1', 'x', 0);
insert into got
  select 3, * from public.amocrm_ingest_event('pgtap 275 body ё', 'text/plain',
    upper(encode(sha256(convert_to('pgtap 275 body ё', 'UTF8')), 'hex')), '{"events": []}', '1',
    'x', 0);

select is((select duplicate from got where n = 1), false, 'a body without a hash is stored new');
select is((select duplicate from got where n = 2), true, 'the same body again is a duplicate');
select is((select duplicate from got where n = 3), true,
  'and with its hash given (as callers sent it before) too');
select is((select count(distinct event_id)::int from got), 1, 'all three with one event id');

-- The webhook's own call: receive with p_sha256 null, stored pending (p_process false).
select is(
  public.amocrm_receive_event('pgtap 275 receive', 'application/x-www-form-urlencoded', null,
    '{"account": {}, "events": [], "ignored": []}', null, null, 0, false) ->> 'duplicate',
  'false', 'amocrm_receive_event takes a null hash');
select is(
  public.amocrm_receive_event('pgtap 275 receive', 'application/x-www-form-urlencoded', null,
    '{"account": {}, "events": [], "ignored": []}', null, null, 0, false) ->> 'duplicate',
  'true', 'and answers the same body again as a duplicate');

reset role;
select is(
  (select body_sha256 from public.traffic_amocrm_events where raw_body = 'pgtap 275 body ё'),
  -- sha256Hex('pgtap 275 body ё') in Deno (WebCrypto over the UTF-8 bytes), the key the
  -- webhook function computed before.
  'af97c293549dcba5084478008b66fcf6300871ba02092f818ae764153adb06ab',
  'the key is the lowercase hex SHA-256 of the body''s UTF-8 text');
select throws_ok(
  $$select * from public.amocrm_ingest_event('pgtap 275 other', null, repeat('0', 64), null,
    null, null, 0)$$,
  '22023', null,
  'a given hash that is not the body''s is still refused');
select throws_ok(
  $$select * from public.amocrm_ingest_event(null, null, null, null, null, null, 0)$$,
  '22023', null,
  'a body is required');

select * from finish();
rollback;
