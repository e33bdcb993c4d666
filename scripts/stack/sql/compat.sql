-- Supabase compatibility layer for the local stack (applied before the project's migrations).
--
-- Hosted Supabase ships these pieces with the database; the local stack cannot run Supabase's
-- Docker images, so this file recreates the parts the project relies on, with the same names and
-- the same behaviour seen from SQL: the API roles, the `auth` schema and its JWT helpers, the
-- `extensions` schema, Vault's SQL API, and pg_net's SQL API (delivered by scripts/stack/net-worker.ts).
-- It is not a migration: production already has all of it.

-- ---------------------------------------------------------------------------------------------
-- Roles, as Supabase creates them.
-- ---------------------------------------------------------------------------------------------
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit password 'postgres';
  end if;
end
$$;
grant anon, authenticated, service_role to authenticator;
alter role authenticator set statement_timeout = '8s';
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';

-- ---------------------------------------------------------------------------------------------
-- Schemas and default privileges. Like Supabase, tables created in `public` are granted to the
-- API roles by default: migrations must revoke what a role should not have.
-- ---------------------------------------------------------------------------------------------
create schema if not exists extensions;
grant usage on schema extensions to public;
grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
alter database postgres set search_path = "$user", public, extensions;

create extension if not exists pgcrypto with schema extensions;
create extension if not exists pgtap with schema extensions;
-- In `extensions`, as on Supabase: PostgREST exposes only `public`, so no API role reaches its
-- functions (in `public` anon could call all of them through /rest/v1/rpc). `supabase db lint`
-- finds it through the database search_path set above.
create extension if not exists plpgsql_check with schema extensions;
create extension if not exists pg_cron;
grant usage on schema cron to postgres;

-- ---------------------------------------------------------------------------------------------
-- auth: the users table and the JWT helpers PostgREST requests see. PostgREST 12 sets
-- `request.jwt.claims` (the whole payload as JSON) and `role` for every request.
-- ---------------------------------------------------------------------------------------------
create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

create table if not exists auth.users (
  id uuid primary key default gen_random_uuid(),
  email text unique,
  raw_app_meta_data jsonb not null default '{}'::jsonb,
  raw_user_meta_data jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table auth.users is 'Local stand-in for Supabase Auth''s users table (no GoTrue here).';
grant select on auth.users to service_role;

create or replace function auth.jwt() returns jsonb
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

create or replace function auth.uid() returns uuid
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create or replace function auth.email() returns text
language sql stable
as $$
  select (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')::text
$$;

grant execute on function auth.jwt(), auth.uid(), auth.role(), auth.email()
  to anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Vault: the SQL API of supabase_vault. Locally the secret is stored as is (no pgsodium key
-- outside the database); the names and the `decrypted_secrets` view behave as on Supabase.
-- ---------------------------------------------------------------------------------------------
create schema if not exists vault;
revoke all on schema vault from public;

create table if not exists vault.secrets (
  id uuid primary key default gen_random_uuid(),
  name text unique,
  description text not null default '',
  secret text not null,
  key_id uuid,
  nonce bytea,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table vault.secrets is 'Local stand-in for supabase_vault (secrets stored unencrypted on the local stack).';

create or replace view vault.decrypted_secrets as
  select id, name, description, secret, secret as decrypted_secret, key_id, nonce, created_at, updated_at
  from vault.secrets;

create or replace function vault.create_secret(
  new_secret text,
  new_name text default null,
  new_description text default '',
  new_key_id uuid default null
) returns uuid
language plpgsql
set search_path = ''
as $$
declare
  rec record;
begin
  insert into vault.secrets (secret, name, description, key_id)
  values (new_secret, new_name, coalesce(new_description, ''), new_key_id)
  returning id into rec;
  return rec.id;
end
$$;

create or replace function vault.update_secret(
  secret_id uuid,
  new_secret text default null,
  new_name text default null,
  new_description text default null,
  new_key_id uuid default null
) returns void
language sql
set search_path = ''
as $$
  update vault.secrets set
    secret = coalesce(new_secret, secret),
    name = coalesce(new_name, name),
    description = coalesce(new_description, description),
    key_id = coalesce(new_key_id, key_id),
    updated_at = now()
  where id = secret_id
$$;
revoke all on all tables in schema vault from public, anon, authenticated;
revoke all on all functions in schema vault from public, anon, authenticated;

-- ---------------------------------------------------------------------------------------------
-- pg_net: the SQL API. A request is a row in net.http_request_queue; like pg_net's background
-- worker, scripts/stack/net-worker.ts picks up committed rows, sends them over real HTTP and
-- writes the outcome to net._http_response under the same id.
-- ---------------------------------------------------------------------------------------------
create schema if not exists net;
grant usage on schema net to postgres, service_role;

create unlogged table if not exists net.http_request_queue (
  id bigserial primary key,
  method text not null,
  url text not null,
  headers jsonb not null default '{}'::jsonb,
  body bytea,
  timeout_milliseconds integer not null
);

create unlogged table if not exists net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out boolean,
  error_msg text,
  created timestamptz not null default now()
);
create index if not exists _http_response_created_idx on net._http_response (created);

-- Wakes the worker as soon as the enqueuing transaction commits (NOTIFY is transactional).
create or replace function net._notify_worker() returns trigger
language plpgsql
as $$
begin
  perform pg_notify('net_http_request', new.id::text);
  return new;
end
$$;
drop trigger if exists notify_worker on net.http_request_queue;
create trigger notify_worker after insert on net.http_request_queue
  for each row execute function net._notify_worker();

create or replace function net._encode_url_with_params(url text, params jsonb) returns text
language sql immutable
as $$
  select case
    when params is null or params = '{}'::jsonb then url
    else url || case when strpos(url, '?') > 0 then '&' else '?' end || (
      select string_agg(key || '=' || value, '&') from jsonb_each_text(params)
    )
  end
$$;

create or replace function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 2000
) returns bigint
language sql volatile
as $$
  insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
  values ('GET', net._encode_url_with_params(url, params), coalesce(headers, '{}'::jsonb), timeout_milliseconds)
  returning id
$$;

create or replace function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds integer default 2000
) returns bigint
language sql volatile
as $$
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values (
    'POST',
    net._encode_url_with_params(url, params),
    coalesce(headers, '{}'::jsonb),
    convert_to(coalesce(body, '{}'::jsonb)::text, 'UTF8'),
    timeout_milliseconds
  )
  returning id
$$;
revoke all on all functions in schema net from public, anon, authenticated;
grant execute on all functions in schema net to postgres, service_role;
grant select on net._http_response to postgres, service_role;
