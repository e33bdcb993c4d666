-- anon holds no privilege on any table, view or sequence in public, and cannot execute the
-- project's functions: a visitor with the anon key reads and writes nothing.
begin;
select plan(3);

select is(
  (select array_agg(c.relname::text order by c.relname) from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm')
      and (has_table_privilege('anon', c.oid, 'select') or has_table_privilege('anon', c.oid, 'insert')
        or has_table_privilege('anon', c.oid, 'update') or has_table_privilege('anon', c.oid, 'delete')
        or has_any_column_privilege('anon', c.oid, 'select, insert, update'))),
  null,
  'anon has no table or column privilege in public');

select is(
  (select array_agg(c.relname::text order by c.relname) from pg_class c
    where c.relnamespace = 'public'::regnamespace
      and case when c.relkind = 'S'
        then has_sequence_privilege('anon', c.oid, 'usage, select, update') else false end),
  null,
  'anon has no sequence privilege in public');

select is(
  (select array_agg(p.oid::regprocedure::text order by p.proname) from pg_proc p
    where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
      and not exists (select 1 from pg_depend d
        where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
      and has_function_privilege('anon', p.oid, 'execute')),
  null,
  'anon cannot execute any of the project''s functions');

select * from finish();
rollback;
