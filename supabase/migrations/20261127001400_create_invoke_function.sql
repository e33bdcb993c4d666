-- private.invoke_function() calls an edge function over pg_net with the project URL and the
-- service-role key read from Vault at call time, so no key is ever written into a migration,
-- a cron job's command or a log. The pg_cron jobs and fb-ads-sync's fan-out use it.

-- Hosted Supabase needs the extension; the local stack's compatibility layer provides the same
-- `net` API without it, so only create the extension when no `net` schema exists yet.
do $$
begin
  if not exists (select 1 from pg_namespace where nspname = 'net') then
    create extension if not exists pg_net;
  end if;
end
$$;

create or replace function private.invoke_function(p_name text, p_body jsonb default '{}')
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_url text;
  v_key text;
begin
  -- A function name is a URL path segment: refuse anything else.
  if p_name is null or p_name !~ '^[a-z0-9][a-z0-9_-]*$' then
    raise exception 'invoke_function: invalid function name %', coalesce(p_name, 'null')
      using errcode = '22023';
  end if;
  select rtrim(decrypted_secret, '/') into v_url
    from vault.decrypted_secrets where name = 'project_url';
  if v_url is null or v_url = '' then
    raise exception 'invoke_function: vault secret "project_url" is missing'
      using errcode = 'P0002',
        hint = 'select vault.create_secret(''https://<ref>.supabase.co'', ''project_url'');';
  end if;
  select decrypted_secret into v_key
    from vault.decrypted_secrets where name = 'service_role_key';
  if v_key is null or v_key = '' then
    raise exception 'invoke_function: vault secret "service_role_key" is missing'
      using errcode = 'P0002',
        hint = 'select vault.create_secret(''<service role key>'', ''service_role_key'');';
  end if;
  -- 150 s: the edge functions' request idle timeout; a shorter timeout hides slow runs' status.
  return net.http_post(
    url := v_url || '/functions/v1/' || p_name,
    headers := jsonb_build_object(
      'Content-Type', 'application/json',
      'Authorization', 'Bearer ' || v_key,
      'apikey', v_key),
    body := coalesce(p_body, '{}'),
    timeout_milliseconds := 150000);
end
$$;
comment on function private.invoke_function(text, jsonb) is
  'POSTs p_body to /functions/v1/<p_name> through pg_net with the URL and service-role key from '
  'Vault (project_url, service_role_key). Returns the pg_net request id; raises when a secret is '
  'missing.';
revoke all on function private.invoke_function(text, jsonb) from public, anon, authenticated;
grant execute on function private.invoke_function(text, jsonb) to service_role;
