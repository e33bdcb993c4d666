-- A webhook body Postgres text cannot hold (a NUL byte, invalid UTF-8) is kept byte for byte as
-- base64 by amocrm_reject_undecodable_event(): status rejected, raw_body_encoding base64, deduped
-- on the SHA-256 of the bytes; the service role only.
begin;
select plan(7);

select set_config('pgtap.bytes', encode('\x6c656164733d00ff41'::bytea, 'base64'), true);
select set_config('pgtap.id', public.amocrm_reject_undecodable_event(
  current_setting('pgtap.bytes'), 'application/x-www-form-urlencoded',
  encode(sha256('\x6c656164733d00ff41'::bytea), 'hex'), 'Body contains a NUL byte.')::text, true);
select is(
  (select row(status, raw_body_encoding, error, payload is null)::text
    from public.traffic_amocrm_events where id = current_setting('pgtap.id')::bigint),
  '(rejected,base64,"Body contains a NUL byte.",t)', 'kept as rejected, base64, with the reason');
select is(
  (select decode(raw_body, 'base64') from public.traffic_amocrm_events
    where id = current_setting('pgtap.id')::bigint),
  '\x6c656164733d00ff41'::bytea, 'decode(raw_body, ''base64'') gives the exact bytes back');
select is(
  public.amocrm_reject_undecodable_event(current_setting('pgtap.bytes'), null,
    encode(sha256('\x6c656164733d00ff41'::bytea), 'hex'), 'again'),
  current_setting('pgtap.id')::bigint, 'a redelivery is the same row');
select throws_ok(
  format($$select public.amocrm_reject_undecodable_event(%L, null, %L, 'x')$$,
    current_setting('pgtap.bytes'), repeat('0', 64)),
  '22023', null, 'a hash that is not the bytes'' SHA-256 is refused');
select throws_ok(
  $$select public.amocrm_reject_undecodable_event('***', null, 'x', 'x')$$,
  '22023', null, 'text that is not base64 is refused');
select is(
  (select default_value from (select column_default as default_value
    from information_schema.columns where table_schema = 'public'
      and table_name = 'traffic_amocrm_events' and column_name = 'raw_body_encoding') c),
  '''utf8''::text', 'other bodies are stored as utf8 text, as before');
select is(
  (select array_agg(r.rolname::text order by r.rolname) from pg_roles r
    where r.rolname in ('anon', 'authenticated', 'service_role')
      and has_function_privilege(r.oid,
        'public.amocrm_reject_undecodable_event(text, text, text, text)', 'execute')),
  array['service_role'], 'only service_role executes it');

select * from finish();
rollback;
