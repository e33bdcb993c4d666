-- private.traffic_aggregate_dirty stays bounded when the aggregation stops.
--
-- The table (20261207030000) is appended to by every statement that changes what the metrics read
-- and was emptied only by a traffic_aggregate_metrics() run consuming it. With the
-- aggregate-metrics job paused, or every run failing (its delete rolls back with it), it grew
-- without bound: a mark per statement, every webhook included.
--
-- private.traffic_aggregate_dirty_compact() (pg_cron `traffic-aggregate-dirty-compact`, every 5
-- minutes) replaces the marks it sees by what a run would make of them, in one statement:
--   * any full_run mark: one full_run mark (a full run recomputes every team over the current
--     windows, whatever the other marks say, and consumes them all);
--   * otherwise one mark per user_id (null: unattributed) spanning the first to the last day of
--     its marks. A run recomputes a user when any of its marks touches the window; the span
--     touches it whenever one of them does (it may also when none does: more work, never less).
-- So the table holds at most one row per team, one for the unattributed rows and the marks of the
-- last few minutes. Nothing a run needs is lost:
--   * the delete and the insert are one statement, so they commit or roll back together;
--   * a mark committed after the statement's snapshot is not deleted and stays as it is;
--   * it takes the aggregation run's advisory lock (try-lock: while a run holds it, it skips;
--     that run consumes the marks anyway), so a run never consumes marks half compacted, and a
--     run waiting for the lock reads the compacted marks after it is released.

create or replace function private.traffic_aggregate_dirty_compact()
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_before int;
  v_after int;
begin
  if not pg_try_advisory_xact_lock(hashtext('public.traffic_aggregate_metrics')) then
    return jsonb_build_object('skipped', 'an aggregation run holds the lock');
  end if;
  with gone as (
    delete from private.traffic_aggregate_dirty d
    returning d.user_id, d.first_day, d.last_day, d.full_run, d.noted_at
  ),
  full_run as (
    select coalesce(bool_or(g.full_run), false) as yes from gone g
  ),
  kept as (
    insert into private.traffic_aggregate_dirty (user_id, first_day, last_day, full_run, noted_at)
    select null, '-infinity', 'infinity', true, min(g.noted_at)
    from gone g
    having bool_or(g.full_run)
    union all
    select g.user_id, min(g.first_day), max(g.last_day), false, min(g.noted_at)
    from gone g
    where not (select f.yes from full_run f)
    group by g.user_id
    returning 1
  )
  select (select count(*) from gone), (select count(*) from kept) into v_before, v_after;
  return jsonb_build_object('marks_before', v_before, 'marks_after', v_after);
end
$$;
comment on function private.traffic_aggregate_dirty_compact() is
  'Bounds private.traffic_aggregate_dirty when no aggregation run consumes it: replaces the marks '
  'by one full_run mark when there is one, else by one mark per user_id spanning its days (what '
  'a run would make of them). Skips while a run holds the aggregation lock. pg_cron '
  'traffic-aggregate-dirty-compact, every 5 minutes. Returns {marks_before, marks_after} or '
  '{skipped}.';
revoke all on function private.traffic_aggregate_dirty_compact()
  from public, anon, authenticated, service_role;

comment on table private.traffic_aggregate_dirty is
  'Append-only marks of what changed since the last aggregation run: a user_id and the days it '
  'changed (user_id null: unattributed leads/sales), or full_run = true (rates, truncation, a write '
  'to the stored rows by someone else). Consumed (deleted) by traffic_aggregate_metrics() in the '
  'transaction that writes the recomputed rows; compacted (one row per user_id, or one full_run '
  'row) by private.traffic_aggregate_dirty_compact() every 5 minutes.';

select cron.schedule('traffic-aggregate-dirty-compact', '*/5 * * * *',
  $cron$select private.traffic_aggregate_dirty_compact()$cron$);
