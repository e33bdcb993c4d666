-- public.traffic_deploy_check(): what `npm run deploy:check` needs to know about a deployed
-- project that only SQL can see, over PostgREST with a service key (no database password):
-- which of the project's cron jobs exist and are active, which Vault secrets the jobs read are
-- present (names and presence only, never a value), and how the jobs' recent deliveries were
-- answered (a 401 after the last success means the Vault key is not one the functions accept).
create or replace function public.traffic_deploy_check()
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_jobs jsonb;
  v_vault jsonb;
  v_http jsonb := null;
  v_url text;
begin
  select coalesce(jsonb_agg(jsonb_build_object(
           'name', j.jobname, 'schedule', j.schedule, 'active', j.active,
           'last_status', d.status, 'last_start', d.start_time) order by j.jobname), '[]')
    into v_jobs
    from cron.job j
    left join lateral (
      select status, start_time from cron.job_run_details
       where jobid = j.jobid order by start_time desc limit 1) d on true;

  select jsonb_object_agg(n.name, exists (
           select 1 from vault.decrypted_secrets s
            where s.name = n.name and nullif(btrim(s.decrypted_secret), '') is not null))
    into v_vault
    from (values ('project_url'), ('secret_key'), ('service_role_key')) as n(name);

  -- The URL is not a secret: returned so the check can compare it with the project's.
  select rtrim(decrypted_secret, '/') into v_url
    from vault.decrypted_secrets where name = 'project_url';

  if to_regclass('net._http_response') is not null then
    execute $q$
      select jsonb_build_object(
        'responses_24h', count(*),
        'ok_24h', count(*) filter (where status_code between 200 and 299),
        'unauthorized_24h', count(*) filter (where status_code in (401, 403)),
        'refused_since_last_ok', count(*) filter (where status_code in (401, 403) and created >
          coalesce((select max(created) from net._http_response
                     where status_code between 200 and 299), '-infinity')),
        'failed_24h', count(*) filter (where status_code >= 300 or error_msg is not null
                                             or timed_out))
      from net._http_response where created > now() - interval '1 day'
    $q$ into v_http;
  end if;

  return jsonb_build_object('cron_jobs', v_jobs, 'vault', v_vault, 'project_url', v_url,
                            'pg_net', v_http, 'checked_at', now());
end
$$;
comment on function public.traffic_deploy_check() is
  'For npm run deploy:check (service role only): cron jobs (name, schedule, active, last status), '
  'presence of the Vault secrets project_url / secret_key / service_role_key (never their '
  'values), the Vault project_url, and pg_net answer counts (last 24 h; refused since the last '
  'success).';
revoke all on function public.traffic_deploy_check() from public, anon, authenticated;
grant execute on function public.traffic_deploy_check() to service_role;
