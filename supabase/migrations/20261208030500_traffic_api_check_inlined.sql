-- traffic-api's cache check, cheaper per request (issue 11 item 2, the revalidating path): the same
-- question and the same answers as 20261207141508, asked of a plain SQL function that PostgreSQL
-- inlines into the statement PostgREST sends, instead of a plpgsql security definer function.
--
-- Why: every revalidating request of traffic-api makes this one call. As a plpgsql security
-- definer function with `set search_path`, each call switched user and search_path, set up the
-- function's execution state and ran its two statements through SPI (executor start and end
-- each), every request in a new transaction: perf of the stack's Postgres processes under the
-- bench's load put ~36% of the route's extra Postgres CPU over bare-read in that call
-- (fmgr_security_definer and below). Inlined, the check is a few nodes of the statement's own
-- plan, which PostgREST prepares once per connection (a generic plan after five executions):
-- Postgres CPU per revalidating request of traffic-api ~15-40 us less, PostgREST's unchanged
-- (camp's ninth-session section of docs/benchmarks.md; a shared machine).
--
-- What had to change for PostgreSQL to inline it (src/backend/optimizer/util/clauses.c,
-- inline_set_returning_function): `language sql`, `stable`, not strict, not security definer, no
-- SET clause, and returning a set. So:
-- - it returns a table of one row (changed, snapshot), the fields of the object
--   traffic_api_changed_since returned: PostgREST calls a function returning rows in the
--   statement's FROM list, where PostgreSQL inlines it (a scalar or `setof jsonb` function it calls
--   in the select list, where it is not), and answers a one-element array of that object. A new
--   name, public.traffic_api_check, which traffic-api calls from now on: the old name keeps its
--   jsonb answer (below) for a function deployed before this migration;
-- - it runs as the caller, so the caller reads the change log itself: authenticated and
--   service_role may select the two columns the check reads (xid, users) and the horizon's bound,
--   and row level security on private.traffic_api_changes shows a targetologist only the rows
--   their answers depend on — a global write (users null) or one naming their own team — and an
--   admin every row: the per-team rule of 20261207114917, written once, here, in the policy.
--   service_role bypasses row level security (every row counts for a service caller, as before).
--   The private schema is not exposed by PostgREST (db-schemas = public): no API request reads
--   the change log but through this function, which answers a boolean and the current snapshot.
--   The writers (traffic_api_note_change, traffic_api_note_team_change, traffic_api_changes_prune)
--   are security definer functions owned by the table's owner, which row level security does not
--   restrict (no FORCE).
-- - the claims are read once per check: auth.uid() and private.is_admin() stand in the policy as
--   uncorrelated subqueries (InitPlans, evaluated at most once per statement, and only when a
--   change row outside the snapshot is read at all), not once per change row (pgTAP 250).
--
-- The rules (unchanged): no snapshot, or one whose xmin is older than the pruned bound: changed;
-- else changed when a change row outside the snapshot is visible to the caller. `stable`: it reads
-- the calling statement's snapshot, which is also the one returned.
-- pgTAP 250 pins the answers (through the old name), 284 that PostgreSQL inlines
-- traffic_api_check, the policy's rule and its answers.

grant select (xid, users) on private.traffic_api_changes to authenticated, service_role;
grant select (pruned_below) on private.traffic_api_changes_horizon to authenticated, service_role;
alter table private.traffic_api_changes enable row level security;
drop policy if exists traffic_api_changes_caller_reads on private.traffic_api_changes;
create policy traffic_api_changes_caller_reads on private.traffic_api_changes
  for select to authenticated
  using (users is null or (select auth.uid()) = any (users) or (select private.is_admin()));
comment on policy traffic_api_changes_caller_reads on private.traffic_api_changes is
  'The change rows a caller''s traffic-api answers depend on (read by public.traffic_api_check): a global write (users null) or one naming the caller''s '
  'own team; an admin: every row. The claims are read once per statement (InitPlans).';

create or replace function public.traffic_api_check(p_snapshot text default null)
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
  from (select p_snapshot::pg_catalog.pg_snapshot as s) a
$$;
comment on function public.traffic_api_check(text) is
  'traffic-api''s cache check: one row (changed: whether a transaction outside p_snapshot (a '
  'pg_current_snapshot() text from an earlier call; null, or one older than the pruned bound = '
  'always true) changed data the caller''s answers read (a targetologist: their own team''s rows '
  'or a global write; an admin: anything: row level security on private.traffic_api_changes), '
  'snapshot: the current snapshot). Plain SQL so that PostgreSQL inlines it. Reveals no data.';
revoke all on function public.traffic_api_check(text) from public, anon;
grant execute on function public.traffic_api_check(text) to authenticated, service_role;

-- The old name and answer (a jsonb object), for a traffic-api deployed before this migration
-- (`supabase db push` runs before `supabase functions deploy`): the same answer, read from
-- traffic_api_check, so the rule stays written once. As the caller now (reading through the
-- policy), no longer security definer. A later migration may drop it.
create or replace function public.traffic_api_changed_since(p_snapshot text default null)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select pg_catalog.jsonb_build_object('changed', c.changed, 'snapshot', c.snapshot)
  from public.traffic_api_check(p_snapshot) c
$$;
comment on function public.traffic_api_changed_since(text) is
  'traffic-api''s cache check as it answered before 20261208030500 ({changed, snapshot}), for '
  'a traffic-api deployed before it: public.traffic_api_check''s one row as an object.';
revoke all on function public.traffic_api_changed_since(text) from public, anon;
grant execute on function public.traffic_api_changed_since(text) to authenticated, service_role;
