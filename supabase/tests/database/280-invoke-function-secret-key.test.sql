-- private.invoke_function() with the new secret key (sb_secret_…) in Vault: it is sent in the
-- `apikey` header only, never as a bearer token (the new keys are not JWTs: Supabase's migration
-- guide, "Database Webhooks and pg_net"); secret_key wins over the legacy service_role_key; a
-- legacy JWT under either name still goes as bearer and apikey. (Rolled back: nothing is sent.)
begin;
select plan(9);

delete from vault.secrets where name in ('secret_key', 'service_role_key');
select vault.create_secret('sb_secret_pgtap_only_key', 'secret_key');
select vault.create_secret('eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2ln', 'service_role_key');

create temp table req on commit drop as
  select private.invoke_function('aggregate-metrics', '{"triggered_by": "cron"}') as id;

select is(
  (select headers ->> 'apikey' from net.http_request_queue where id = (select id from req)),
  'sb_secret_pgtap_only_key', 'the secret key is sent as apikey (and wins over the legacy key)');
select ok(
  not ((select headers from net.http_request_queue where id = (select id from req)) ? 'Authorization'),
  'and never as Authorization: Bearer');
select is(
  (select url from net.http_request_queue where id = (select id from req)),
  (select rtrim(decrypted_secret, '/') from vault.decrypted_secrets where name = 'project_url')
    || '/functions/v1/aggregate-metrics',
  'to the same URL');

-- Only the legacy key: bearer and apikey, as before.
delete from vault.secrets where name = 'secret_key';
create temp table req2 on commit drop as select private.invoke_function('fb-ads-sync') as id;
select is(
  (select headers ->> 'Authorization' from net.http_request_queue where id = (select id from req2)),
  'Bearer eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2ln', 'a legacy key goes as bearer');
select is(
  (select headers ->> 'apikey' from net.http_request_queue where id = (select id from req2)),
  'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2ln', 'and as apikey');

-- A secret key stored under the legacy name is still sent the new way (the value decides).
update vault.secrets set secret = 'sb_secret_under_old_name' where name = 'service_role_key';
create temp table req3 on commit drop as select private.invoke_function('fb-ads-sync') as id;
select is(
  (select headers ->> 'apikey' from net.http_request_queue where id = (select id from req3)),
  'sb_secret_under_old_name', 'a secret key under the old name goes as apikey');
select ok(
  not ((select headers from net.http_request_queue where id = (select id from req3)) ? 'Authorization'),
  'not as bearer');

-- An empty secret_key does not hide the legacy key; no key at all is named.
select vault.create_secret('  ', 'secret_key');
create temp table req4 on commit drop as select private.invoke_function('fb-ads-sync') as id;
select is(
  (select headers ->> 'apikey' from net.http_request_queue where id = (select id from req4)),
  'sb_secret_under_old_name', 'a blank secret_key falls back to service_role_key');
delete from vault.secrets where name in ('secret_key', 'service_role_key');
select throws_ok($$select private.invoke_function('fb-ads-sync')$$, 'P0002',
  'invoke_function: vault secret "secret_key" (or the legacy "service_role_key") is missing',
  'no key at all is named');

select * from finish();
rollback;
