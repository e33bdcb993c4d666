-- traffic-api's cache check, cheaper per request (issue 11 item 2): the same question and the same
-- answer as 20261207114917, computed so that Postgres neither plans it on every call nor reads
-- the caller's JWT claims once per change row.
--
-- Before: a `language sql` function with `set search_path` (so never inlined) is parsed and
-- planned again on every call, because PostgREST runs each request as a new query; and the
-- per-row filter evaluated `auth.role()`, `private.is_admin()` and `auth.uid()` for every change
-- row after the snapshot (each parses the claims JSON): 50,000 change rows of other teams took
-- 360 ms per check (~10 ms now).
--
-- Now plpgsql, whose statements' plans PostgreSQL keeps per connection (PostgREST keeps its
-- connections), asking in the order of cost: no snapshot, or one older than the pruned bound:
-- "changed"; no change row outside the snapshot at all (the common case): "unchanged", without
-- reading the caller's claims; an admin or a service caller: "changed" (any row counts); a
-- targetologist: whether a row outside the snapshot is global (users null) or names their team,
-- their user id read once. The rules are those of 20261207114917, unchanged. `stable`: every
-- statement reads the calling query's snapshot, which is also the one returned (as before).
-- Postgres CPU per call, measured as the backend's CPU over 2,000 calls in one psql session, each
-- its own transaction with the role and claims set as PostgREST sets them (main 5582ddd + this
-- migration, a shared machine: +-30 us): ~340 us before, ~190-250 us now, a one-row select of
-- bench_tiny 150-195 us.
-- pgTAP 250 pins the answers and that the claims are read once per check.
create or replace function public.traffic_api_changed_since(p_snapshot text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_snapshot pg_snapshot := p_snapshot::pg_snapshot;
  v_xmin xid8 := pg_snapshot_xmin(v_snapshot);
  v_uid uuid;
  v_changed boolean;
begin
  if v_snapshot is null
    -- Older than the pruned bound: rows it would need may be gone.
    or v_xmin < (select h.pruned_below from private.traffic_api_changes_horizon h) then
    v_changed := true;
  elsif not exists (
    select 1
    from private.traffic_api_changes c
    where c.xid >= v_xmin and not pg_visible_in_snapshot(c.xid, v_snapshot)
  ) then
    v_changed := false;
  -- A targetologist's answers change only with their own team's rows or a global write; an
  -- admin's (and a service caller's) with any. (Security definer: the caller is the request's
  -- JWT.)
  elsif coalesce(auth.role(), '') <> 'authenticated' or coalesce(private.is_admin(), false) then
    v_changed := true;
  else
    v_uid := auth.uid();
    v_changed := exists (
      select 1
      from private.traffic_api_changes c
      where c.xid >= v_xmin
        and not pg_visible_in_snapshot(c.xid, v_snapshot)
        and (c.users is null or v_uid = any (c.users)));
  end if;
  return jsonb_build_object('changed', v_changed, 'snapshot', pg_current_snapshot()::text);
end
$$;
comment on function public.traffic_api_changed_since(text) is
  'traffic-api''s cache check: {changed: whether a transaction outside p_snapshot (a '
  'pg_current_snapshot() text from an earlier call; null, or one older than the pruned bound = '
  'always true) changed data the caller''s answers read (a targetologist: their own team''s rows '
  'or a global write; an admin: anything), snapshot: the current snapshot}. Reveals no data.';
revoke all on function public.traffic_api_changed_since(text) from public, anon;
grant execute on function public.traffic_api_changed_since(text) to authenticated, service_role;
