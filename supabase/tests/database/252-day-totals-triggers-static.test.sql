-- The per-day totals' triggers run static SQL (migration 20261207143453): each of the four rollups'
-- day_totals_* triggers calls its own generated function, whose body has no EXECUTE (so its
-- statements are planned once per session, not per write), and the functions are generated from
-- private.traffic_day_totals_sources() (one per source, named after its totals table). That the
-- totals stay exact is pgTAP 248 / 249.
begin;
select plan(4);

select is(
  (select count(*)::int from pg_trigger t
   where t.tgname like 'day\_totals\_%' and not t.tgisinternal),
  (select count(*)::int * 4 from private.traffic_day_totals_sources()),
  'every source rollup has its insert, update, delete and truncate triggers');
select is(
  (select array_agg(distinct p.proname::text order by p.proname::text)
   from pg_trigger t join pg_proc p on p.oid = t.tgfoid
   where t.tgname like 'day\_totals\_%' and not t.tgisinternal),
  (select array_agg(s.totals || '_note' order by s.totals || '_note')
   from private.traffic_day_totals_sources() as s),
  'each source''s triggers call the function generated for its totals table');
select is(
  (select count(*)::int from pg_trigger t join pg_proc p on p.oid = t.tgfoid
   where t.tgname like 'day\_totals\_%' and not t.tgisinternal
     and (p.prosrc ~* '\mexecute\M' or t.tgnargs > 0)),
  0, 'no day-totals trigger builds its statement at run time (no EXECUTE, no arguments)');
select is(
  (select count(*)::int from pg_trigger t
   join pg_class c on c.oid = t.tgrelid
   join pg_proc p on p.oid = t.tgfoid
   join private.traffic_day_totals_sources() as s on s.source = c.relname
   where t.tgname like 'day\_totals\_%' and p.proname <> s.totals || '_note'),
  0, 'a source''s triggers call its own totals table''s function');

select * from finish();
rollback;
