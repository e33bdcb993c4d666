-- traffic-api's cache check without PostgREST's argument payload (issue 11 item 2, the
-- revalidating path): public.traffic_api_check (20261208030500) takes its snapshot from the
-- request header `x-traffic-snapshot` when no argument is given, and traffic-api sends it so.
--
-- Why: a GET of an RPC with a query-string argument makes PostgREST turn the query string into a
-- JSON payload that the statement reads back (`json_typeof`, `json_build_array`,
-- `json_to_recordset` of `$1`); a call without arguments is a plain `FROM fn()`. Through the
-- gateway, PostgREST direct (camp's ninth-session section of docs/benchmarks.md, a shared
-- machine): a trivial row-returning RPC with one argument cost ~40-55 us more than without; the
-- check asked by header instead of query string ~20-180 us less (PostgREST and Postgres), 3 of 3
-- rounds. PostgREST hands every request's headers to SQL as `request.headers` (JSON, names in
-- lower case), documented for this use; the argument still wins when given (SQL callers, and a
-- traffic-api deployed before this migration, which sends `?p_snapshot=`).
--
-- The same answers: the header is the caller's, as the query string was; a missing header or
-- none at all (`request.headers` unset, or '' after an earlier transaction set it locally) is no
-- snapshot, which is "changed", as before. `offset 0` keeps the snapshot one value computed once
-- per call (inlined, PostgreSQL would otherwise copy the expression into the change-log scan's
-- filter and evaluate it per row). The rest is 20261208030500's: still inlined (pgTAP 284, 286).
create or replace function public.traffic_api_check(
  p_snapshot text default (
    nullif(pg_catalog.current_setting('request.headers', true), '')::json ->> 'x-traffic-snapshot'))
returns table (changed boolean, snapshot text)
language sql
stable
as $$
  select
    a.s is null
      -- Older than the pruned bound: rows it would need may be gone.
      or pg_catalog.pg_snapshot_xmin(a.s)
        < (select h.pruned_below from private.traffic_api_changes_horizon h)
      -- A change outside the snapshot that the caller's answers read (row level security).
      or exists (
        select
        from private.traffic_api_changes c
        where c.xid >= pg_catalog.pg_snapshot_xmin(a.s)
          and not pg_catalog.pg_visible_in_snapshot(c.xid, a.s)),
    pg_catalog.pg_current_snapshot()::text
  from (select p_snapshot::pg_catalog.pg_snapshot as s offset 0) a
$$;
comment on function public.traffic_api_check(text) is
  'traffic-api''s cache check: one row (changed: whether a transaction outside p_snapshot (a '
  'pg_current_snapshot() text from an earlier call; by default the request header '
  'x-traffic-snapshot; null, or one older than the pruned bound = always true) changed data the '
  'caller''s answers read (a targetologist: their own team''s rows or a global write; an admin: '
  'anything: row level security on private.traffic_api_changes), snapshot: the current '
  'snapshot). Plain SQL so that PostgreSQL inlines it. Reveals no data.';
revoke all on function public.traffic_api_check(text) from public, anon;
grant execute on function public.traffic_api_check(text) to authenticated, service_role;
