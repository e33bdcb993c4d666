-- traffic_meta_leads_by_ad loses its index on account_id (issue 11 item 4: every fb-ads-sync page
-- inserts its ad-days' Meta-lead rows, and each row also went into this index).
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
