-- traffic-api's change log is pruned by transaction id, not by age.
--
-- Before: the pg_cron job deleted change rows whose changed_at (= now() of the writing
-- transaction, i.e. its START) was older than 10 minutes. A transaction that ran longer than that
-- committed a row the next prune deleted at once; a body cached with a snapshot taken while it
-- was still running then found "no change" and was served without its writes.
--
-- Now a row is deleted only when its transaction ended before the PREVIOUS prune (its xid is
-- below the oldest xid that was still running then, pg_snapshot_xmin(pg_current_snapshot())): a
-- running transaction's row is never touched, whatever its age. The bound below which rows are
-- gone is kept (pruned_below), and public.traffic_api_changed_since() answers "changed" for a
-- snapshot older than it (it cannot tell any more): exact for a snapshot of any age, and a
-- cached body lives at most 60 s while rows live at least one prune interval (5 min).

create table private.traffic_api_changes_horizon (
  id boolean primary key default true check (id),
  -- Every change row with an xid below this has been deleted.
  pruned_below xid8 not null,
  -- The oldest xid still running at the last prune: the next prune deletes the rows below it.
  next_below xid8 not null
);
comment on table private.traffic_api_changes_horizon is
  'One row: the xid bounds of private.traffic_api_changes'' pruning (see '
  'private.traffic_api_changes_prune()).';
revoke all on table private.traffic_api_changes_horizon
  from public, anon, authenticated, service_role;
-- Rows the age-based prune may already have deleted: every snapshot older than this migration
-- is answered "changed".
insert into private.traffic_api_changes_horizon (pruned_below, next_below)
values (pg_snapshot_xmin(pg_current_snapshot()), pg_snapshot_xmin(pg_current_snapshot()));

create or replace function private.traffic_api_changes_prune()
returns void
language sql
security definer
set search_path = ''
as $$
  with h as (
    update private.traffic_api_changes_horizon
    set pruned_below = next_below,
        next_below = greatest(next_below, pg_snapshot_xmin(pg_current_snapshot()))
    returning pruned_below
  )
  delete from private.traffic_api_changes c
  using h
  where c.xid < h.pruned_below
$$;
comment on function private.traffic_api_changes_prune() is
  'pg_cron traffic-api-changes-prune: deletes the change rows of transactions that had ended at '
  'the previous prune (xid below that prune''s pg_snapshot_xmin); never a running one''s.';
revoke all on function private.traffic_api_changes_prune()
  from public, anon, authenticated, service_role;

create or replace function public.traffic_api_changed_since(p_snapshot text default null)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'changed', p_snapshot is null
      -- Older than the pruned bound: rows it would need may be gone.
      or pg_snapshot_xmin(p_snapshot::pg_snapshot)
        < (select h.pruned_below from private.traffic_api_changes_horizon h)
      or exists (
        select 1
        from private.traffic_api_changes c
        where c.xid >= pg_snapshot_xmin(p_snapshot::pg_snapshot)
          and not pg_visible_in_snapshot(c.xid, p_snapshot::pg_snapshot)),
    'snapshot', pg_current_snapshot()::text)
$$;
comment on function public.traffic_api_changed_since(text) is
  'traffic-api''s cache check: {changed: whether a transaction outside p_snapshot (a '
  'pg_current_snapshot() text from an earlier call; null, or one older than the pruned bound = '
  'always true) changed data the data routes read, snapshot: the current snapshot}. Reveals no '
  'data.';
revoke all on function public.traffic_api_changed_since(text) from public, anon;
grant execute on function public.traffic_api_changed_since(text) to authenticated, service_role;

select cron.schedule('traffic-api-changes-prune', '*/5 * * * *',
  $cron$select private.traffic_api_changes_prune()$cron$);

comment on table private.traffic_api_changes is
  'One row per transaction that wrote a table traffic-api''s data routes read (see '
  'private.traffic_api_note_change()); read by public.traffic_api_changed_since(). Pruned by xid '
  '(private.traffic_api_changes_prune(), pg_cron traffic-api-changes-prune), never by age.';
