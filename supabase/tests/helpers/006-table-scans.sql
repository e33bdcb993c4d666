-- How many scans of a table (index and sequential) the current transaction has started: what a
-- test counts to show a query reads a table a bounded number of times (265, 283).

begin;

create or replace function tests.table_scans(p_table regclass)
returns bigint
language sql
stable
as $$
  select coalesce(t.idx_scan, 0) + coalesce(t.seq_scan, 0)
  from pg_stat_xact_user_tables t
  where t.relid = p_table
$$;
comment on function tests.table_scans(regclass) is
  'Scans of p_table (index + sequential) started in the current transaction.';

grant execute on function tests.table_scans(regclass) to anon, authenticated, service_role;

commit;
