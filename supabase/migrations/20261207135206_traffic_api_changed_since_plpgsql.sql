-- traffic-api's cache check, cheaper per request (issue 11 item 2): the same question and the same
-- answer as 20261207114917, computed so that Postgres neither plans it on every call nor reads
-- the caller's JWT claims once per change row.
--
-- Before: a `language sql` function with `set search_path` (so never inlined) is parsed and
-- planned again on every call, because PostgREST runs each request as a new query: about 0.5 ms
-- of Postgres CPU per revalidating request, four times a one-row select of the same plumbing
-- (measured in one psql session, EXECUTE per call: 600-1,200 us vs 80-150 us). And the per-row
-- filter evaluated `auth.role()`, `private.is_admin()` and `auth.uid()` for every change row
-- after the snapshot (each parses the claims JSON): 50,000 change rows of other teams took
-- 360 ms per check.
--
-- Now plpgsql, whose statements' plans PostgreSQL keeps per connection (PostgREST keeps its
-- connections), with the caller's facts (sees every team: not a signed-in user, or an admin;
-- the user id) computed once per call. The rules are unchanged: a null snapshot or one older
-- than the pruned bound is "changed"; otherwise any change row outside the snapshot that is
-- global (users null), or any row at all for an admin or a service caller, or a row naming the
-- caller's own team. `stable`: every statement reads the calling query's snapshot, which is also
-- the one returned (as before). pgTAP 250 pins the answers and that the claims are read once.
create or replace function public.traffic_api_changed_since(p_snapshot text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_snapshot pg_snapshot := p_snapshot::pg_snapshot;
  v_sees_all boolean;
  v_uid uuid;
  v_changed boolean;
begin
  if v_snapshot is null then
    v_changed := true;
  -- Older than the pruned bound: rows it would need may be gone.
  elsif pg_snapshot_xmin(v_snapshot)
      < (select h.pruned_below from private.traffic_api_changes_horizon h) then
    v_changed := true;
  else
    -- A targetologist's answers change only with their own team's rows or a global write; an
    -- admin's (and a service caller's) with any. (Security definer: the caller is the request's
    -- JWT.)
    v_sees_all := coalesce(auth.role(), '') <> 'authenticated' or coalesce(private.is_admin(), false);
    v_uid := auth.uid();
    v_changed := exists (
      select 1
      from private.traffic_api_changes c
      where c.xid >= pg_snapshot_xmin(v_snapshot)
        and not pg_visible_in_snapshot(c.xid, v_snapshot)
        and (c.users is null or v_sees_all or v_uid = any (c.users)));
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
