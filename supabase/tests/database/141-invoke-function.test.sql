-- private.invoke_function() queues a pg_net POST to <project_url>/functions/v1/<name> with the
-- service-role key from Vault, and fails clearly when a secret is missing. (Rolled back: the
-- net worker only sees committed requests, so nothing is sent.) This file pins the legacy key
-- (no secret_key in Vault); 280-invoke-function-secret-key pins the new secret key.
begin;
select plan(11);
delete from vault.secrets where name = 'secret_key';

select set_config('pgtap.req', private.invoke_function('traffic-api', '{"days": 3}')::text, true);
select isnt(nullif(current_setting('pgtap.req'), ''), null, 'returns the request id');
select is(
  (select url from net.http_request_queue where id = current_setting('pgtap.req')::bigint),
  (select rtrim(decrypted_secret, '/') from vault.decrypted_secrets where name = 'project_url')
    || '/functions/v1/traffic-api',
  'POSTs to the Vault project_url + /functions/v1/<name>');
select is(
  (select method from net.http_request_queue where id = current_setting('pgtap.req')::bigint),
  'POST', 'as a POST');
select is(
  (select headers ->> 'Authorization' from net.http_request_queue
    where id = current_setting('pgtap.req')::bigint),
  'Bearer ' || (select decrypted_secret from vault.decrypted_secrets where name = 'service_role_key'),
  'with the Vault service-role key as bearer');
select is(
  (select headers ->> 'apikey' from net.http_request_queue
    where id = current_setting('pgtap.req')::bigint),
  (select decrypted_secret from vault.decrypted_secrets where name = 'service_role_key'),
  'and as apikey');
select is(
  (select convert_from(body, 'UTF8')::jsonb from net.http_request_queue
    where id = current_setting('pgtap.req')::bigint),
  '{"days": 3}'::jsonb, 'with the body given');
select is(
  (select timeout_milliseconds from net.http_request_queue
    where id = current_setting('pgtap.req')::bigint),
  150000, 'with a 150 s timeout (the functions'' idle limit)');

select throws_ok($$select private.invoke_function('../rest/v1/x')$$, '22023', null,
  'a name that is not a function name is refused');

savepoint no_key;
delete from vault.secrets where name = 'service_role_key';
select throws_ok($$select private.invoke_function('fb-ads-sync')$$, 'P0002',
  'invoke_function: vault secret "secret_key" (or the legacy "service_role_key") is missing',
  'a missing key is named');
rollback to savepoint no_key;
delete from vault.secrets where name = 'project_url';
select throws_ok($$select private.invoke_function('fb-ads-sync')$$, 'P0002',
  'invoke_function: vault secret "project_url" is missing', 'a missing URL is named');

select tests.authenticate_as(gen_random_uuid(), true);
select throws_ok($$select private.invoke_function('fb-ads-sync')$$, '42501', null,
  'clients (even an admin) cannot call it');

select * from finish();
rollback;
