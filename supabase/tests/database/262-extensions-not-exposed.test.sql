-- plpgsql_check (for supabase db lint) lives in `extensions`, as on Supabase, not in `public`:
-- PostgREST exposes only `public`, so no API role can call its functions through /rest/v1/rpc.
begin;
select plan(2);

select is((select extnamespace::regnamespace::text from pg_extension
  where extname = 'plpgsql_check'), 'extensions', 'plpgsql_check is installed in extensions');
select is(
  (select count(*)::int from pg_proc p join pg_depend d
      on d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e'
    join pg_extension x on x.oid = d.refobjid
    where p.pronamespace = 'public'::regnamespace and x.extname not in ('pg_cron')),
  0, 'no extension function sits in public');

select * from finish();
rollback;
