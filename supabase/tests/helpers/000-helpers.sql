-- Shared helpers for the pgTAP files, loaded by scripts/test.sh (psql, in file-name order) before
-- pg_prove runs supabase/tests/database/*.test.sql: this file COMMITS the `tests` schema (the test
-- files roll back their data). Helpers are not tests, so they sit outside database/.
-- PostgREST exposes only `public`: nothing here is reachable over HTTP.
begin;
set local client_min_messages = warning;

create schema if not exists tests;
comment on schema tests is 'pgTAP helpers (supabase/tests/helpers/*.sql).';
grant usage on schema tests to anon, authenticated, service_role;

-- A user as Supabase Auth would create it, tagged with a name the files look it up by.
create or replace function tests.create_user(p_name text, p_admin boolean default false)
returns uuid
language sql
security definer
set search_path = ''
as $$
  insert into auth.users (id, email, raw_app_meta_data, raw_user_meta_data)
  values (gen_random_uuid(), p_name || '-' || gen_random_uuid() || '@pgtap.test',
    case when p_admin then '{"traffic_role": "admin"}' else '{}' end::jsonb,
    jsonb_build_object('test_name', p_name))
  returning id
$$;
comment on function tests.create_user(text, boolean) is
  'Creates a user tagged test_name = p_name; p_admin puts traffic_role = admin in app_metadata.';

-- Security definer: callable while acting as anon/authenticated, which cannot read auth.users.
create or replace function tests.uid(p_name text)
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_id uuid;
begin
  select id into strict v_id from auth.users where raw_user_meta_data ->> 'test_name' = p_name;
  return v_id;
end
$$;
comment on function tests.uid(text) is 'The id of the test user created with that name.';

-- Acts as a caller for the rest of the transaction: the role PostgREST would switch to and the
-- claims it would set. Transaction-local, like `set local`.
create or replace function tests.authenticate_with(p_role text, p_claims jsonb)
returns void
language plpgsql
as $$
begin
  perform set_config('role', p_role, true);
  perform set_config('request.jwt.claims', p_claims::text, true);
end
$$;
comment on function tests.authenticate_with(text, jsonb) is
  'set local role p_role + request.jwt.claims p_claims (what the helpers below act as).';

create or replace function tests.authenticate_as(p_user uuid, p_admin boolean default false)
returns void
language sql
as $$
  select tests.authenticate_with('authenticated', jsonb_build_object(
    'sub', p_user, 'role', 'authenticated', 'aud', 'authenticated',
    'app_metadata', case when p_admin then '{"traffic_role": "admin"}' else '{}' end::jsonb))
$$;
comment on function tests.authenticate_as(uuid, boolean) is
  'set local role authenticated + request.jwt.claims for p_user (admin claim when p_admin).';

create or replace function tests.authenticate_as_anon() returns void language sql
as $$ select tests.authenticate_with('anon', '{"role": "anon"}') $$;
comment on function tests.authenticate_as_anon() is 'Acts as a visitor with the anon key.';

create or replace function tests.authenticate_as_service_role() returns void language sql
as $$ select tests.authenticate_with('service_role', '{"role": "service_role"}') $$;
comment on function tests.authenticate_as_service_role() is 'Acts as the service-role key.';

-- How many rows a write touched, as the current role (no security definer on purpose): RLS
-- makes a forbidden UPDATE/DELETE touch 0 rows instead of raising.
create or replace function tests.row_count(p_sql text)
returns int
language plpgsql
as $$
declare
  v_n int;
begin
  execute p_sql;
  get diagnostics v_n = row_count;
  return v_n;
end
$$;
comment on function tests.row_count(text) is 'Runs p_sql as the current role; returns ROW_COUNT.';

grant execute on all functions in schema tests to anon, authenticated, service_role;

commit;
