-- Two changes to the Meta-lead rows by ad (issue 11 item 4's triggers): (1) traffic_meta_leads_by_ad
-- loses its index on account_id; (2) the Meta-lead refresh examines each ad-day once.
--
-- (1) Every fb-ads-sync page inserts its ad-days' Meta-lead rows, and each row also went into
-- this index.
--
-- Its only reader was a change of traffic_meta_lead_settings (private.traffic_meta_lead_settings_sync),
-- which found the ad-days to re-derive as the union of (a) the accounts' raw ad-days whose list
-- holds a type of a lead list in use now and (b) the accounts' Meta-lead rows (this index): (b)
-- catches the ad-days whose Meta leads came from a type the change removed from every list. The
-- same ad-days are (a) with the types of the lists the change replaced added: a Meta-lead row is
-- derived from its raw ad-day's list (the raw table's triggers keep it so: same key, same
-- account, the list not null) by the account's list at that time, which is the list this change
-- replaces (old_rows), or the default list when the account had none (already in use). So the
-- settings trigger now reads only the raw ad-days of the accounts (the raw table's partial index
-- on account_id, as before), with those types, and nothing of traffic_meta_leads_by_ad: the same
-- keys for the refresh, one index scan instead of two and a union.
--
-- Measured (one-writer replay of the bench's 300 pages into empty tables, dev stack, 2026-12-08
-- 03:35-03:37 UTC, load 7-10, two alternated pairs): the Meta-lead insert's buffer hits 1.25 M ->
-- 0.98 M a first sync, its WAL 65 -> 55 MB, its time 2.9-6.6 -> 2.4-2.5 s.
--
-- Redefined from its newest definition (20261207060204): private.traffic_meta_lead_settings_sync.

drop index public.traffic_meta_leads_by_ad_account_idx;

create or replace function private.traffic_meta_lead_settings_sync()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_users uuid[];
  v_ads text[];
  v_days date[];
  v_accounts text[];
  v_types text[];
begin
  -- Waits for fb-ads-sync writes in flight and holds new ones until this commits (SHARE
  -- conflicts with their ROW EXCLUSIVE): the ad-days below are read and derived while no one
  -- else changes them. The statements below see what those writers committed.
  lock table public.traffic_facebook_ads_raw in share mode;
  if tg_op = 'INSERT' then
    select array_agg(n.account_id) into v_accounts from new_rows n;
  elsif tg_op = 'UPDATE' then
    select array_agg(x.account_id) into v_accounts
      from (select n.account_id from new_rows n union select o.account_id from old_rows o) x;
  else
    select array_agg(o.account_id) into v_accounts from old_rows o;
  end if;
  -- The types that can give those ad-days Meta leads now (every list in use, the default
  -- included) or gave them Meta leads before this change (the lists it replaced or removed; an
  -- account without a list had the default, already in use).
  v_types := private.traffic_meta_lead_types_in_use();
  if tg_op <> 'INSERT' then
    select v_types || coalesce(array_agg(distinct t.type), '{}') into v_types
      from old_rows o cross join lateral unnest(o.lead_action_types) as t(type);
  end if;
  -- Every ad-day of those accounts whose list holds one of them: each one whose Meta leads may
  -- change, and each one that has a Meta-lead row (derived from its raw ad-day's list, of the
  -- same account, by the account's list before this change).
  select array_agg(r.user_id), array_agg(r.ad_id), array_agg(r.stat_date)
    into v_users, v_ads, v_days
  from public.traffic_facebook_ads_raw r
  where r.account_id = any (v_accounts) and r.actions is not null
    and r.actions ?| v_types;
  if v_users is not null then
    perform private.traffic_meta_leads_refresh(v_users, v_ads, v_days);
  end if;
  return null;
end
$$;
comment on function private.traffic_meta_lead_settings_sync() is
  'Statement trigger of traffic_meta_lead_settings: with the raw rows held still (SHARE lock), '
  're-derives Meta leads of every ad-day of the accounts whose lead list was set, changed or '
  'removed that holds a type of a list in use or of a list the change replaced.';

-- (2) The Meta-lead refresh examines each ad-day once (found while checking the refresh's plans;
-- its cost grew with the square of the ad-days refreshed).
--
-- private.traffic_meta_leads_refresh re-derives traffic_meta_leads_by_ad for a set of ad-days: the
-- raw table's update and delete triggers call it for a page whose actions changed (every re-sync
-- that Meta's later numbers change, up to 500 ad-days a page), a change of a lead list for every
-- ad-day of its accounts, the repair for all. Its `gone` CTE deleted the keys' Meta-lead rows that
-- `picked` (the keys' raw rows through the rule) did not hold, as NOT EXISTS against the `picked`
-- CTE. The planner estimates a CTE over `keys` (a DISTINCT of the arrays: 200 rows) joined with
-- the raw rows at one row, so it ran that anti join as a nested loop rescanning `picked` for each
-- candidate row: auto_explain of a refresh of one account's 1,500 ad-days (dev stack, 2026-12-08
-- 03:41 UTC) shows `Nested Loop Anti Join ... Rows Removed by Join Filter: 955653` and 986 ms.
-- Timed there (load ~6.4): 500 ad-days 89-127 ms, 6,000 ad-days 8.5 s, so a year of one account's
-- ad-days (~18,000) would hold the raw table in SHARE mode (every sync of every user waiting) for
-- over a minute on a lead-list change, and a re-sync page of 500 changed ad-days spent ~0.1 s on
-- it.
--
-- Now each key is looked up once: `derived` is every key with its rule result, or nulls when its
-- raw row is gone or its list holds no lead type (a LATERAL probe per key, OFFSET 0 so it stays a
-- per-key index lookup whatever the estimates); the keys with nulls lose their Meta-lead rows, the
-- others are upserted as before. Same result for every key: the rule (private.traffic_meta_lead_of)
-- gives a row with a non-null action type (lists hold no null) exactly when `picked` had one.
--
-- Redefined from its newest definition (20261207193400).

create or replace function private.traffic_meta_leads_refresh(
  p_users uuid[], p_ads text[], p_days date[])
returns void
language plpgsql
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $$
begin
  with keys as (
    select distinct k.user_id, k.ad_id, k.stat_date
    from unnest(p_users, p_ads, p_days) as k(user_id, ad_id, stat_date)
    where k.user_id is not null
  ),
  -- Each key once, with its raw row's Meta leads by the rule, or nulls (no raw row, or no type of
  -- the lead list in its actions). OFFSET 0: one index lookup per key, never a join planned on
  -- the estimate of `keys` (20261208033800).
  derived as materialized (
    select k.user_id, k.ad_id, k.stat_date, p.account_id, p.action_type, p.value
    from keys k
    left join lateral (
      select r.account_id, m.action_type, m.meta_leads as value
      from public.traffic_facebook_ads_raw r
      cross join lateral private.traffic_meta_lead_of(r.account_id, r.actions) as m
      -- (no "actions is not null" here: it would let the planner read the whole partial index
      -- of the lead lists instead of probing each key)
      where r.user_id = k.user_id and r.ad_id = k.ad_id and r.stat_date = k.stat_date
      offset 0
    ) p on true
  ),
  -- (disjoint from the upsert below: only ad-days that no longer have a lead type)
  gone as (
    delete from public.traffic_meta_leads_by_ad t
    using derived k
    where k.action_type is null
      and t.user_id = k.user_id and t.ad_id = k.ad_id and t.stat_date = k.stat_date
    returning 1
  )
  insert into public.traffic_meta_leads_by_ad as t
    (user_id, ad_id, stat_date, account_id, action_type, meta_leads)
  select d.user_id, d.ad_id, d.stat_date, d.account_id, d.action_type, d.value
  from derived d
  where d.action_type is not null
  order by 1, 2, 3
  on conflict (user_id, ad_id, stat_date) do update set
    account_id = excluded.account_id, action_type = excluded.action_type,
    meta_leads = excluded.meta_leads
  where (t.account_id, t.action_type, t.meta_leads)
    is distinct from (excluded.account_id, excluded.action_type, excluded.meta_leads);
end
$$;
comment on function private.traffic_meta_leads_refresh(uuid[], text[], date[]) is
  'Re-derives traffic_meta_leads_by_ad for the given ad-days from traffic_facebook_ads_raw.actions '
  'by THE meta_leads rule (private.traffic_meta_lead_of), each ad-day looked up once; '
  'traffic_meta_leads_daily follows through the triggers of traffic_meta_leads_by_ad.';
