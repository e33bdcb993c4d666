-- The attribution owners' merge of the ids a page adds no longer reads every owner row (issue 11
-- item 4: fb-ads-sync's first sync at a year's volume).
--
-- private.traffic_attribution_add_ids (the directory's attribution_ids_insert trigger, fired by
-- every fb-ads-sync page that brings an ad, adset or campaign new to its user) queued the ids
-- whose owner changed by joining its `fresh` owners with private.traffic_attribution_id_owners.
-- `fresh` reads private.traffic_attribution_owners_of, a SQL function with SET search_path, which
-- the planner does not inline and estimates at 1,000 rows whatever it returns; against 1,000 rows
-- a hash join over the whole owner table is the cheaper plan once it holds a few thousand ids. At
-- a year's volume (57,000 owner ids: the bench's 50,000 ads with their adsets and campaigns) every
-- such page read all 57,000 rows and hashed them for its ~60 ids: auto_explain of a replay of the
-- bench's 300 pages on the volume data (dev stack, one writer, 2026-12-08 03:07 UTC, load ~4):
--   Hash Left Join (actual rows=60) -> Seq Scan on traffic_attribution_id_owners (rows=57000),
-- 1.8 s of the first sync's 100 calls (16 ms each), against 0.14 s for the same calls on the
-- empty tables. The plan is made per call (force_custom_plan), so this was not a cached plan: the
-- estimate of the function's rows decides it, and it grows with the owner table.
--
-- Now each id's owner row is probed by its key (a LATERAL subquery with OFFSET 0, which the
-- planner keeps as a per-row lookup instead of flattening it into a join), so the cost follows
-- the ids the page added, not the size of the table. Nothing else changes: the same ids are
-- queued (an id whose owner or level this transaction sees differ from the fresh one), the same
-- merge upsert, the same lock.
--
-- Redefined from its newest definition (20261207143457); only the `queued` CTE differs.

create or replace function private.traffic_attribution_add_ids(p_ids text[])
returns int
language plpgsql
security definer
set search_path = ''
-- Planned per call, as the recompute it replaces on this path was (its statement is dynamic):
-- a plan cached while the directory held a few rows would scan it whole per id once it holds
-- thousands (the first sync into new tables: docs/benchmarks.md, 20261207114216).
set plan_cache_mode = force_custom_plan
as $$
declare
  v_changed int;
begin
  if coalesce(cardinality(p_ids), 0) = 0 then
    return 0;
  end if;
  -- Shared: other adders go on; a delete or a repair (exclusive) waits for this transaction,
  -- and this waits for theirs. Each statement below reads after the lock (read committed).
  perform pg_advisory_xact_lock_shared(hashtext('private.traffic_attribution_id_owners'));
  with fresh as materialized (
    select * from private.traffic_attribution_owners_of(p_ids)
  ),
  queued as (
    -- An id whose owner or level this transaction sees changed (a concurrent adder of the same
    -- id queues it too when the merged owner differs from what it saw: re-attribution reads the
    -- owner row, so a second entry only costs a lookup). Each id's row probed by its key
    -- (OFFSET 0 keeps the lookup per id: a join would be planned for the 1,000 rows the
    -- function is estimated at and read the whole owner table, 20261208030800).
    insert into private.traffic_attribution_queue (kind, key)
    select 'id', f.id
    from fresh f
    left join lateral (
      select s.user_id, s.level from private.traffic_attribution_id_owners s
      where s.id = f.id
      offset 0
    ) s on true
    where (s.user_id, s.level) is distinct from (f.user_id, f.level)
    returning 1
  ),
  upserted as (
    -- t = the newest committed row of the id (the upsert waits for an adder in progress), so
    -- the merge includes every other writer's rows: the better rank wins; at the same rank the
    -- lower user_id, shared when either was or the two differ.
    insert into private.traffic_attribution_id_owners as t (id, rank, level, user_id, shared)
    select f.id, f.rank, f.level, f.user_id, f.shared from fresh f
    order by f.id
    on conflict (id) do update set
      rank = least(t.rank, excluded.rank),
      level = case when excluded.rank < t.rank then excluded.level else t.level end,
      user_id = case
        when excluded.rank < t.rank then excluded.user_id
        when excluded.rank > t.rank then t.user_id
        else least(t.user_id::text collate "C", excluded.user_id::text collate "C")::uuid
      end,
      shared = case
        when excluded.rank < t.rank then excluded.shared
        when excluded.rank > t.rank then t.shared
        else t.shared or excluded.shared or t.user_id <> excluded.user_id
      end
    where excluded.rank < t.rank
      or (excluded.rank = t.rank
        and (excluded.user_id::text collate "C" < t.user_id::text collate "C"
          or (not t.shared and (excluded.shared or t.user_id <> excluded.user_id))))
  )
  select count(*) into v_changed from queued;
  return v_changed;
end
$$;
comment on function private.traffic_attribution_add_ids(text[]) is
  'After directory rows of the given ids were added: merges each id''s owner computed from the '
  'directory into private.traffic_attribution_id_owners (better rank, then lower user_id; '
  'shared when users tie) and queues the ids whose owner changed, each id''s stored owner probed '
  'by its key; concurrent adders of other ids do not wait (global key taken shared). Returns how '
  'many it queued.';
revoke all on function private.traffic_attribution_add_ids(text[])
  from public, anon, authenticated, service_role;
