-- Every table, view and function the migrations create in public and private has a comment.
begin;
select plan(2);

select is(
  (select array_agg(c.relname::text order by c.relname) from pg_class c
    where c.relnamespace in ('public'::regnamespace, 'private'::regnamespace)
      and c.relkind in ('r', 'p', 'v', 'm')
      and obj_description(c.oid, 'pg_class') is null),
  null,
  'every table and view has a comment');

-- Functions owned by an extension (plpgsql_check lives in public locally) are not ours.
select is(
  (select array_agg(p.proname::text order by p.proname) from pg_proc p
    where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
      and not exists (select 1 from pg_depend d
        where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
      and obj_description(p.oid, 'pg_proc') is null),
  null,
  'every function has a comment');

select * from finish();
rollback;
