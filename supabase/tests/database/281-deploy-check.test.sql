-- public.traffic_deploy_check() reports cron jobs and which Vault secrets exist — never a secret's
-- value — and only the service role may call it.
begin;
select plan(7);

select ok(
  (select public.traffic_deploy_check() -> 'cron_jobs') @> '[{"name": "aggregate-metrics"}, {"name": "fb-ads-sync"}]',
  'lists the project''s cron jobs');
select is(
  (select public.traffic_deploy_check() -> 'vault' ->> 'project_url')::boolean, true,
  'project_url is reported present');
select ok(
  (select public.traffic_deploy_check() -> 'vault') ?& array['secret_key', 'service_role_key'],
  'both key names are reported');
select ok(
  position((select decrypted_secret from vault.decrypted_secrets where name = 'service_role_key')
           in public.traffic_deploy_check()::text) = 0,
  'no key value appears in the answer');

delete from vault.secrets where name = 'secret_key';
select is(
  (select public.traffic_deploy_check() -> 'vault' ->> 'secret_key')::boolean, false,
  'a missing secret is reported missing');

select tests.authenticate_as(gen_random_uuid(), true);
select throws_ok($$select public.traffic_deploy_check()$$, '42501', null,
  'a user (even an admin) may not call it');
reset role;
set local role anon;
select throws_ok($$select public.traffic_deploy_check()$$, '42501', null, 'nor anon');

select * from finish();
rollback;
