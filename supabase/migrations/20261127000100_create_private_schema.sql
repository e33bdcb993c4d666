-- The `private` schema holds helpers that policies and triggers call. PostgREST exposes only
-- `public` (supabase/config.toml [api].schemas), so nothing here is reachable over HTTP.
create schema if not exists private;
comment on schema private is
  'Helpers for policies, triggers and schedules; not exposed by PostgREST.';

-- Functions are executable by PUBLIC when created (a global default that a per-schema default
-- cannot take back), so every function here revokes it and grants back what it needs.
revoke all on schema private from public;
grant usage on schema private to authenticated, service_role;

-- Admin = the owner who sees every team. `app_metadata` is set by the service only (users can
-- edit `user_metadata`, never `app_metadata`), so the claim is safe to trust.
create or replace function private.is_admin()
returns boolean
language sql
stable
set search_path = ''
as $$
  select coalesce((auth.jwt() -> 'app_metadata' ->> 'traffic_role') = 'admin', false)
$$;
comment on function private.is_admin() is
  'True when the request''s JWT has app_metadata.traffic_role = ''admin''. '
  'Use in policies as (select private.is_admin()) so it is evaluated once per statement.';
revoke all on function private.is_admin() from public, anon;
grant execute on function private.is_admin() to authenticated, service_role;
