-- A page of fb-ads-sync that brings new ads no longer waits for every other page writer
-- (issue 11 item 4). Until now every statement that added rows to private.traffic_ad_directory
-- recomputed the owner rows of their ids under one global advisory lock
-- (hashtext('private.traffic_attribution_id_owners'), exclusive, held to commit), taken by the
-- raw table's ad_directory_* trigger, the first to fire: the four page writers of a first sync
-- ran one at a time from their directory insert to their commit (26.6 s of lock waits summed
-- over a fresh first sync's writers, docs/benchmarks.md).
--
-- What the lock protects: two transactions that add directory rows of the same id (the same ad
-- account in two targetologists' settings) each compute the id's owner from their own snapshot,
-- where the other's rows are not visible; the later upsert would overwrite the earlier owner
-- with one that misses the other's rows (e.g. not `shared`, or the worse level).
--
-- Adding rows can only improve an id's owner: the owner of a set of directory rows is the best
-- (lowest) rank, then the lowest user_id ("C" order) at that rank, shared when several users
-- hold that rank. That is a join: owner(A ∪ B) = merge(owner(A), owner(B)), where the better
-- rank wins and at equal rank the lower user_id wins and shared = either shared or the two
-- users differ. So an adder no longer needs to see the other adders' rows: it upserts its own
-- owner and, when another writer's row for the id is there (committed, or in progress: the
-- upsert waits for that transaction on the id's row), merges into it. The row lock of each id
-- in private.traffic_attribution_id_owners serializes exactly the writers of the same id; the
-- writers of other ids do not wait. private.traffic_attribution_owners_of stays the one
-- definition of an owner; the merge below is its union step, and
-- tests/integration/attribution-concurrent-writers.test.ts checks the merged rows against it
-- after concurrent writes.
--
-- Removing rows is not a join (the owner may get worse), so deletes keep recomputing the ids
-- from the directory under the global lock in EXCLUSIVE mode (private.traffic_owner_map_refresh,
-- 20261207030050), as does the repair (public.traffic_rebuild_rollups, 20261207123232). Adders
-- take the same key in SHARED mode, so a delete or a repair still waits for every adder in
-- flight and every adder waits for them (an adder's snapshot must not predate a delete's
-- commit, or its merge would bring a removed owner back).
--
-- One lock order for every path (unchanged; only the global key's mode is new):
--   raw rows (traffic_facebook_ads_raw) → directory rows → the global attribution key
--   (shared: adders; exclusive: deletes, repair) → id owner rows (ascending id within a
--   statement) → traffic_attribution_queue (inserts only) → traffic_entity_conversions_daily
--   rows (the directory's entity_conversions_* triggers, 20261207135500, fire after
--   attribution_ids_*; the lead / sale triggers also write those rows but hold none of the
--   locks before them) → the Meta-lead rollup rows (traffic_meta_leads_by_ad, then
--   traffic_meta_leads_daily) → traffic_spend_daily rows → the per-day totals (append-only, no
--   row lock) → the traffic-api change log.
--   (Triggers fire in name order: on the raw table ad_directory_*, meta_leads_*, spend_daily_*;
--   on the directory attribution_ids_*, entity_conversions_*.)
-- traffic_resolve_attribution and the amocrm paths read the owner rows without locking them and
-- take the global key in no mode, so they are outside this order. The repair takes the raw table
-- in SHARE mode first, which already keeps every page writer out.
-- One new wait is possible: two adders of the SAME ids that each add ids in two statements of one
-- transaction (a page's upsert fires the directory's insert and update triggers) in crossed
-- order; PostgreSQL's deadlock detector then cancels one page (40P01), which rolls back whole
-- and is written again by the next sync. Different ad accounts never share ids, so that needs
-- one account in two targetologists' settings synced by both at once.
--
-- Redefined from their newest definitions: private.traffic_attribution_ids_sync
-- (20261202100100). New: private.traffic_attribution_add_ids.

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
    -- owner row, so a second entry only costs a lookup).
    insert into private.traffic_attribution_queue (kind, key)
    select 'id', f.id
    from fresh f
    left join private.traffic_attribution_id_owners s on s.id = f.id
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
  'shared when users tie) and queues the ids whose owner changed; concurrent adders of other ids '
  'do not wait (global key taken shared). Returns how many it queued.';
revoke all on function private.traffic_attribution_add_ids(text[])
  from public, anon, authenticated, service_role;

create or replace function private.traffic_attribution_ids_sync()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids text[];
begin
  if tg_op = 'INSERT' then
    select array_agg(distinct v.id) into v_ids
    from new_rows n cross join lateral (values (n.ad_id), (n.adset_id), (n.campaign_id)) v(id)
    where v.id <> '';
    -- Added rows can only improve an owner: merged without the exclusive lock.
    perform private.traffic_attribution_add_ids(v_ids);
  else
    select array_agg(distinct v.id) into v_ids
    from old_rows o cross join lateral (values (o.ad_id), (o.adset_id), (o.campaign_id)) v(id)
    where v.id <> '';
    -- Removed rows may make an owner worse: recomputed from the directory, exclusively.
    perform private.traffic_attribution_refresh_ids(v_ids);
  end if;
  return null;
end
$$;
comment on function private.traffic_attribution_ids_sync() is
  'Statement trigger of private.traffic_ad_directory: merges the owners of the ids an insert '
  'added (traffic_attribution_add_ids), recomputes those of the ids a delete removed '
  '(traffic_attribution_refresh_ids).';
revoke all on function private.traffic_attribution_ids_sync()
  from public, anon, authenticated, service_role;
