-- private.invoke_function() with either key generation in Vault. A project created today has the
-- new API keys (`sb_secret_…`), which are not JWTs: Supabase's migration guide says pg_net calls
-- must send a secret key in the `apikey` header, not as `Authorization: Bearer`, where it is
-- rejected (supabase.com/docs/guides/getting-started/migrating-to-new-api-keys, "Database
-- Webhooks and pg_net"). The legacy service_role JWT keeps being sent as before (bearer and
-- apikey).
--
-- The key is read at call time from Vault: `secret_key` first (the name the guide uses), else the
-- legacy `service_role_key`. Whatever the name, the value decides the header: a value starting
-- with `sb_` goes only in `apikey`.
create or replace function private.invoke_function(p_name text, p_body jsonb default '{}')
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_url text;
  v_key text;
  v_headers jsonb;
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
  select nullif(btrim(s.decrypted_secret), '') into v_key
    from vault.decrypted_secrets s
   where s.name in ('secret_key', 'service_role_key') and nullif(btrim(s.decrypted_secret), '') is not null
   order by (s.name = 'secret_key') desc
   limit 1;
  if v_key is null then
    raise exception 'invoke_function: vault secret "secret_key" (or the legacy "service_role_key") is missing'
      using errcode = 'P0002',
        hint = 'select vault.create_secret(''sb_secret_…'', ''secret_key'');';
  end if;
  v_headers := jsonb_build_object('Content-Type', 'application/json', 'apikey', v_key);
  if v_key not like 'sb\_%' then
    -- A legacy JWT key: also the bearer token, as the platform's verify_jwt check expects it.
    v_headers := v_headers || jsonb_build_object('Authorization', 'Bearer ' || v_key);
  end if;
  -- 150 s: the edge functions' request idle timeout; a shorter timeout hides slow runs' status.
  return net.http_post(
    url := v_url || '/functions/v1/' || p_name,
    headers := v_headers,
    body := coalesce(p_body, '{}'),
    timeout_milliseconds := 150000);
end
$$;
comment on function private.invoke_function(text, jsonb) is
  'POSTs p_body to /functions/v1/<p_name> through pg_net with the URL (project_url) and a service '
  'key from Vault: secret_key (sb_secret_…, sent as apikey only), else the legacy '
  'service_role_key (sent as bearer and apikey). Returns the pg_net request id; raises when a '
  'secret is missing.';
revoke all on function private.invoke_function(text, jsonb) from public, anon, authenticated;
grant execute on function private.invoke_function(text, jsonb) to service_role;
