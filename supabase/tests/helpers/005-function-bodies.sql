-- Structural checks of the SQL code itself: which functions' bodies contain a pattern (a rule
-- written out, a table named). "Only X does Y" tests compare this list with the one function
-- that should (245-rules-written-once and others).

begin;

create or replace function tests.functions_matching(
  p_regex text,                                 -- case-insensitive (~*) on pg_proc.prosrc
  p_schemas text[] default '{public,private}'
)
returns text[]
language sql
stable
as $$
  select array_agg(p.proname::text order by p.proname)
  from pg_proc p
  where p.pronamespace::regnamespace::text = any (p_schemas)
    and p.prosrc ~* p_regex
$$;
comment on function tests.functions_matching(text, text[]) is
  'The names (sorted; null when none) of the functions of p_schemas whose body matches p_regex, '
  'case-insensitively.';

grant execute on all functions in schema tests to anon, authenticated, service_role;

commit;
