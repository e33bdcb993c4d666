-- Two of the triggers a fb-ads-sync page fires do less (issue 11 item 4): (1) the attribution
-- owners' merge of the ids a page adds probes each stored owner by its key instead of reading the
-- whole owner table; (2) the raw table's Meta-lead trigger returns at once when its statement
-- changed no row, before it reads the lead types in use.
--
-- (1) Why, at a year's volume:
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

-- (2) The raw table's Meta-lead trigger (fb-ads-sync's first sync and re-run).
--
-- fb_upsert_insights writes a page with one INSERT ... ON CONFLICT DO UPDATE, which fires the
-- raw table's insert AND update statement triggers whatever it changed: on a first sync the
-- update ones see no row, and on a re-run (nothing changed) both do. The directory and spend
-- triggers return at once then (20261207024403); private.traffic_meta_leads_raw_sync did not: it
-- computed private.traffic_meta_lead_types_in_use() in its DECLARE (a SECURITY DEFINER function
-- with SET search_path, so a function call and a read of every lead list each time), then ran the
-- update branch's two aggregates over the empty transition tables, or on a re-run the insert of
-- no row into traffic_meta_leads_by_ad, which fired that table's daily trigger in turn. That was
-- 600 calls of the types function a re-run and 300 a first sync: 67-85 ms of its own time a first
-- sync in a one-writer replay of the bench's 300 pages (pg_stat_user_functions, dev stack,
-- 2026-12-08 02:59-03:07 UTC, load 2-4), besides the statements it ran for nothing.
--
-- Now: no row in the statement's transition table, no work; the types are read only by a
-- statement that has rows. Everything else as in 20261207193400 (the rule, the insert from the
-- inserted rows, the refresh of updated and deleted ad-days).
create or replace function private.traffic_meta_leads_raw_sync()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_types text[];
  v_users uuid[];
  v_ads text[];
  v_days date[];
begin
  if tg_op = 'DELETE' then
    perform from old_rows limit 1;
  else
    perform from new_rows limit 1;
  end if;
  if not found then
    return null; -- the statement changed no row (an update's old rows come with its new ones)
  end if;
  v_types := private.traffic_meta_lead_types_in_use();
  if tg_op = 'INSERT' then
    -- New ad-days: the rule applied to the inserted rows as they are (no probe of the raw rows,
    -- nothing to delete, nothing to conflict with: see 20261207193400).
    insert into public.traffic_meta_leads_by_ad
      (user_id, ad_id, stat_date, account_id, action_type, meta_leads)
    select n.user_id, n.ad_id, n.stat_date, n.account_id, p.action_type, p.meta_leads
    from new_rows n
    cross join lateral private.traffic_meta_lead_of(n.account_id, n.actions) as p
    where n.actions ?| v_types
    order by 1, 2, 3;
    return null;
  elsif tg_op = 'UPDATE' then
    select array_agg(n.user_id), array_agg(n.ad_id), array_agg(n.stat_date)
      into v_users, v_ads, v_days
      from new_rows n
      join old_rows o on o.id = n.id
      where (n.actions ?| v_types or o.actions ?| v_types)
        and (n.actions, n.account_id, n.user_id, n.ad_id, n.stat_date)
          is distinct from (o.actions, o.account_id, o.user_id, o.ad_id, o.stat_date);
    -- a key changed by a direct update: the old ad-day goes too
    select v_users || array_agg(o.user_id), v_ads || array_agg(o.ad_id),
        v_days || array_agg(o.stat_date)
      into v_users, v_ads, v_days
      from old_rows o
      join new_rows n on n.id = o.id
      where o.actions ?| v_types
        and (n.user_id, n.ad_id, n.stat_date) is distinct from (o.user_id, o.ad_id, o.stat_date);
  else
    -- Deleted ad-days: their Meta leads go (the refresh finds no raw row for them).
    select array_agg(o.user_id), array_agg(o.ad_id), array_agg(o.stat_date)
      into v_users, v_ads, v_days
      from old_rows o
      where o.actions ?| v_types;
  end if;
  if v_users is not null then
    perform private.traffic_meta_leads_refresh(v_users, v_ads, v_days);
  end if;
  return null;
end
$$;
comment on function private.traffic_meta_leads_raw_sync() is
  'Statement trigger of traffic_facebook_ads_raw: returns at once when the statement changed no '
  'row; inserted ad-days get their Meta leads from the inserted rows by '
  'private.traffic_meta_lead_of; for ad-days whose actions (or account) an update changed, when '
  'the old or new list holds a type of a lead list in use '
  '(private.traffic_meta_lead_types_in_use()), the refresh re-derives them; deleted ad-days lose '
  'theirs.';
