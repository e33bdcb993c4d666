-- One trigger function keeps `updated_at` fresh on every table that has the column, so writers
-- (upserts from the functions, the dashboard's settings form) never have to remember it.
create or replace function private.set_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;
comment on function private.set_updated_at() is
  'BEFORE UPDATE trigger: sets updated_at to the transaction time.';
-- Triggers run without an EXECUTE check, so no role needs a grant.
revoke all on function private.set_updated_at() from public, anon, authenticated;
