-- traffic_meta_leads_daily kept by exact deltas, like traffic_spend_daily. Before, the refresh
-- re-summed each touched user-day from traffic_meta_leads_by_ad in its own snapshot: two
-- transactions writing the same user-day at once (fb-ads-sync writes two ad accounts of a user
-- concurrently) each summed without the other's uncommitted rows, and the later upsert overwrote
-- the earlier one (a lost update). Now:
--   * private.traffic_meta_leads_refresh only re-derives traffic_meta_leads_by_ad (the rule,
--     unchanged from 20261207002000);
--   * statement triggers on traffic_meta_leads_by_ad add each statement's new rows and subtract
--     its old ones (transition tables: the row versions actually changed), so concurrent writers
--     of one user-day add up under the row lock, as spend does;
--   * a change of traffic_meta_lead_settings first takes SHARE on traffic_facebook_ad_actions:
--     it waits for syncs in flight to commit and holds new ones until it commits, so no ad-day
--     is derived from a list or from actions another transaction is changing.
--   * cheaper writes (fb-ads-sync's benchmark met PostgREST's 8 s statement timeout with them):
--     the actions and the per-ad-day rows lose their row-by-row foreign key to auth.users (2,000
--     FK checks per 500-row page); an action row goes with its raw ad-day instead (a statement
--     trigger on traffic_facebook_ads_raw, set-based; a removed user's raw rows cascade, their
--     actions follow, and so do the rollups); and only action rows of a type some lead list
--     names (private.traffic_meta_lead_types_in_use(): the default list and every account's) make
--     the triggers re-derive an ad-day, and only those rows are read for it.
-- The daily rows are rebuilt once here from traffic_meta_leads_by_ad (repairing any lost update).

alter table public.traffic_facebook_ad_actions
  drop constraint traffic_facebook_ad_actions_user_id_fkey;
alter table public.traffic_meta_leads_by_ad
  drop constraint traffic_meta_leads_by_ad_user_id_fkey;
-- A changed lead list also re-derives the ad-days whose Meta leads came from a type it dropped.
create index traffic_meta_leads_by_ad_account_idx on public.traffic_meta_leads_by_ad (account_id);

-- Every action type any lead list names: the default list and each account's own.
create or replace function private.traffic_meta_lead_types_in_use()
returns text[]
language sql
stable
security definer
set search_path = ''
as $$
  select array(
    select unnest(private.traffic_default_meta_lead_types())
    union
    select unnest(s.lead_action_types) from public.traffic_meta_lead_settings s)
$$;
comment on function private.traffic_meta_lead_types_in_use() is
  'The action types some lead list names (the default list and every account''s): only action '
  'rows of these types can change meta_leads.';
revoke all on function private.traffic_meta_lead_types_in_use() from public, anon, authenticated;

-- An ad-day's actions go with its raw row (a deleted user's raw rows cascade; so do these).
create or replace function private.traffic_ad_actions_follow_raw()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'TRUNCATE' then
    truncate public.traffic_facebook_ad_actions;
  else
    delete from public.traffic_facebook_ad_actions a
    using (select distinct o.user_id, o.ad_id, o.stat_date from old_rows o) o
    where a.user_id = o.user_id and a.ad_id = o.ad_id and a.stat_date = o.stat_date;
  end if;
  return null;
end
$$;
comment on function private.traffic_ad_actions_follow_raw() is
  'Statement trigger of traffic_facebook_ads_raw (delete, truncate): removes the actions of the '
  'removed ad-days (the rollups follow through the actions'' triggers).';
revoke all on function private.traffic_ad_actions_follow_raw() from public, anon, authenticated;
create trigger ad_actions_follow_raw_delete after delete on public.traffic_facebook_ads_raw
  referencing old table as old_rows
  for each statement execute function private.traffic_ad_actions_follow_raw();
create trigger ad_actions_follow_raw_truncate after truncate on public.traffic_facebook_ads_raw
  for each statement execute function private.traffic_ad_actions_follow_raw();

create or replace function private.traffic_meta_leads_refresh(
  p_users uuid[], p_ads text[], p_days date[])
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  -- Once per call, not per row (the function's SET clause keeps it from being inlined).
  v_default constant text[] := private.traffic_default_meta_lead_types();
  v_types constant text[] := private.traffic_meta_lead_types_in_use();
begin
  -- THE rule: per ad-day, the first type of the account's list that Meta reported.
  with keys as (
    select distinct k.user_id, k.ad_id, k.stat_date
    from unnest(p_users, p_ads, p_days) as k(user_id, ad_id, stat_date)
    where k.user_id is not null
  ),
  picked as (
    select distinct on (a.user_id, a.ad_id, a.stat_date)
      a.user_id, a.ad_id, a.stat_date, a.account_id, a.action_type, a.value
    from keys k
    join public.traffic_facebook_ad_actions a
      on a.user_id = k.user_id and a.ad_id = k.ad_id and a.stat_date = k.stat_date
      and a.action_type = any (v_types)
    left join public.traffic_meta_lead_settings s on s.account_id = a.account_id
    cross join lateral (select array_position(coalesce(s.lead_action_types, v_default),
      a.action_type) as pos) as p
    where p.pos is not null
    order by a.user_id, a.ad_id, a.stat_date, p.pos
  ),
  -- (disjoint from the upsert below: only ad-days that no longer have a lead type)
  gone as (
    delete from public.traffic_meta_leads_by_ad t
    using keys k
    where t.user_id = k.user_id and t.ad_id = k.ad_id and t.stat_date = k.stat_date
      and not exists (select 1 from picked p
                      where p.user_id = t.user_id and p.ad_id = t.ad_id
                        and p.stat_date = t.stat_date)
    returning 1
  )
  insert into public.traffic_meta_leads_by_ad as t
    (user_id, ad_id, stat_date, account_id, action_type, meta_leads)
  select p.user_id, p.ad_id, p.stat_date, p.account_id, p.action_type, p.value
  from picked p
  order by 1, 2, 3
  on conflict (user_id, ad_id, stat_date) do update set
    account_id = excluded.account_id, action_type = excluded.action_type,
    meta_leads = excluded.meta_leads
  where (t.account_id, t.action_type, t.meta_leads)
    is distinct from (excluded.account_id, excluded.action_type, excluded.meta_leads);
end
$$;
comment on function private.traffic_meta_leads_refresh(uuid[], text[], date[]) is
  'THE meta_leads rule: re-derives traffic_meta_leads_by_ad for the given ad-days (per ad-day the '
  'first action type of the account''s lead list that Meta reported, its value); '
  'traffic_meta_leads_daily follows through the triggers of traffic_meta_leads_by_ad.';

-- Only rows of a type some lead list names can change an ad-day's Meta leads.
create or replace function private.traffic_meta_leads_actions_sync()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_types constant text[] := private.traffic_meta_lead_types_in_use();
  v_users uuid[];
  v_ads text[];
  v_days date[];
begin
  if tg_op = 'INSERT' then
    select array_agg(x.user_id), array_agg(x.ad_id), array_agg(x.stat_date)
      into v_users, v_ads, v_days
      from (select distinct n.user_id, n.ad_id, n.stat_date from new_rows n
            where n.action_type = any (v_types)) x;
  elsif tg_op = 'UPDATE' then
    select array_agg(x.user_id), array_agg(x.ad_id), array_agg(x.stat_date)
      into v_users, v_ads, v_days
      from (select n.user_id, n.ad_id, n.stat_date from new_rows n
            where n.action_type = any (v_types)
            union select o.user_id, o.ad_id, o.stat_date from old_rows o
            where o.action_type = any (v_types)) x;
  else
    select array_agg(x.user_id), array_agg(x.ad_id), array_agg(x.stat_date)
      into v_users, v_ads, v_days
      from (select distinct o.user_id, o.ad_id, o.stat_date from old_rows o
            where o.action_type = any (v_types)) x;
  end if;
  if v_users is not null then
    perform private.traffic_meta_leads_refresh(v_users, v_ads, v_days);
  end if;
  return null;
end
$$;
comment on function private.traffic_meta_leads_actions_sync() is
  'Statement trigger of traffic_facebook_ad_actions: re-derives Meta leads of the ad-days whose '
  'rows of a lead-list type (private.traffic_meta_lead_types_in_use()) the statement touched.';

-- Emptied groups are found through this (normally empty) partial index.
create index traffic_meta_leads_daily_empty_idx on public.traffic_meta_leads_daily (user_id)
  where ad_rows <= 0;

-- Adds the statement's new rows and subtracts its old ones, grouped; emptied groups go away.
create or replace function private.traffic_meta_leads_daily_sync()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_new constant text := 'select n.user_id, n.stat_date, n.meta_leads, 1 as ad_rows '
    'from new_rows n';
  v_old constant text := 'select o.user_id, o.stat_date, -o.meta_leads as meta_leads, '
    '-1 as ad_rows from old_rows o';
begin
  if tg_op = 'DELETE' then
    -- Only subtracts from existing groups: when a user is deleted, the cascade has already
    -- removed their groups, and nothing may be re-created for them.
    update public.traffic_meta_leads_daily t
    set meta_leads = t.meta_leads - d.meta_leads, ad_rows = t.ad_rows - d.ad_rows
    from (select o.user_id, o.stat_date, sum(o.meta_leads) as meta_leads, count(*) as ad_rows
          from old_rows o group by o.user_id, o.stat_date) as d
    where t.user_id = d.user_id and t.stat_date = d.stat_date;
  else
    -- Transition tables are visible to EXECUTE; an update brings both new and old rows.
    execute format($sql$
      insert into public.traffic_meta_leads_daily as t (user_id, stat_date, meta_leads, ad_rows)
      select d.user_id, d.stat_date, sum(d.meta_leads), sum(d.ad_rows)
      from (%s) as d
      group by d.user_id, d.stat_date
      having sum(d.meta_leads) <> 0 or sum(d.ad_rows) <> 0
      order by 1, 2
      on conflict (user_id, stat_date) do update set
        meta_leads = t.meta_leads + excluded.meta_leads, ad_rows = t.ad_rows + excluded.ad_rows
      $sql$,
      case tg_op when 'INSERT' then v_new else v_new || ' union all ' || v_old end);
  end if;
  if tg_op <> 'INSERT' then
    delete from public.traffic_meta_leads_daily t where t.ad_rows <= 0;
  end if;
  return null;
end
$$;
comment on function private.traffic_meta_leads_daily_sync() is
  'Statement trigger of traffic_meta_leads_by_ad: applies the statement''s rows to '
  'traffic_meta_leads_daily as deltas (new rows added, old rows subtracted).';
revoke all on function private.traffic_meta_leads_daily_sync() from public, anon, authenticated;

create trigger meta_leads_daily_insert after insert on public.traffic_meta_leads_by_ad
  referencing new table as new_rows
  for each statement execute function private.traffic_meta_leads_daily_sync();
create trigger meta_leads_daily_update after update on public.traffic_meta_leads_by_ad
  referencing old table as old_rows new table as new_rows
  for each statement execute function private.traffic_meta_leads_daily_sync();
create trigger meta_leads_daily_delete after delete on public.traffic_meta_leads_by_ad
  referencing old table as old_rows
  for each statement execute function private.traffic_meta_leads_daily_sync();

-- A changed lead list re-derives every ad-day of that account, with the actions held still.
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
begin
  -- Waits for fb-ads-sync writes in flight and holds new ones until this commits (SHARE
  -- conflicts with their ROW EXCLUSIVE): the ad-days below are read and derived while no one
  -- else changes them. The statements below see what those writers committed.
  lock table public.traffic_facebook_ad_actions in share mode;
  if tg_op = 'INSERT' then
    select array_agg(n.account_id) into v_accounts from new_rows n;
  elsif tg_op = 'UPDATE' then
    select array_agg(x.account_id) into v_accounts
      from (select n.account_id from new_rows n union select o.account_id from old_rows o) x;
  else
    select array_agg(o.account_id) into v_accounts from old_rows o;
  end if;
  -- Every ad-day of those accounts that has Meta leads now or a type of a list in use.
  select array_agg(a.user_id), array_agg(a.ad_id), array_agg(a.stat_date)
    into v_users, v_ads, v_days
  from (select a.user_id, a.ad_id, a.stat_date
        from public.traffic_facebook_ad_actions a
        where a.account_id = any (v_accounts)
          and a.action_type = any (private.traffic_meta_lead_types_in_use())
        union
        select b.user_id, b.ad_id, b.stat_date
        from public.traffic_meta_leads_by_ad b
        where b.account_id = any (v_accounts)) a;
  if v_users is not null then
    perform private.traffic_meta_leads_refresh(v_users, v_ads, v_days);
  end if;
  return null;
end
$$;
comment on function private.traffic_meta_lead_settings_sync() is
  'Statement trigger of traffic_meta_lead_settings: with the actions held still (SHARE lock), '
  're-derives Meta leads of every ad-day of the accounts whose lead list was set, changed or '
  'removed.';

-- TRUNCATE of the actions already empties both rollups (20261207002000); a TRUNCATE of the
-- per-ad-day rows empties the daily ones.
create or replace function private.traffic_meta_leads_by_ad_truncate()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from public.traffic_meta_leads_daily;
  return null;
end
$$;
comment on function private.traffic_meta_leads_by_ad_truncate() is
  'TRUNCATE trigger of traffic_meta_leads_by_ad: empties traffic_meta_leads_daily.';
revoke all on function private.traffic_meta_leads_by_ad_truncate()
  from public, anon, authenticated;
create trigger meta_leads_daily_truncate after truncate on public.traffic_meta_leads_by_ad
  for each statement execute function private.traffic_meta_leads_by_ad_truncate();

-- The daily rows, once, from the per-ad-day rows (a lost update before this migration is gone).
delete from public.traffic_meta_leads_daily;
insert into public.traffic_meta_leads_daily (user_id, stat_date, meta_leads, ad_rows)
select b.user_id, b.stat_date, sum(b.meta_leads), count(*)
from public.traffic_meta_leads_by_ad b
group by b.user_id, b.stat_date;

-- The repair path reads only the ad-days that have a type some lead list names.
create or replace function public.traffic_rebuild_meta_leads()
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_users uuid[];
  v_ads text[];
  v_days date[];
begin
  lock table public.traffic_facebook_ad_actions in share mode;
  delete from public.traffic_meta_leads_by_ad;
  delete from public.traffic_meta_leads_daily;
  select array_agg(a.user_id), array_agg(a.ad_id), array_agg(a.stat_date)
    into v_users, v_ads, v_days
  from (select distinct a.user_id, a.ad_id, a.stat_date
        from public.traffic_facebook_ad_actions a
        where a.action_type = any (private.traffic_meta_lead_types_in_use())) a;
  if v_users is not null then
    perform private.traffic_meta_leads_refresh(v_users, v_ads, v_days);
  end if;
  return jsonb_build_object(
    'meta_leads_by_ad_rows', (select count(*) from public.traffic_meta_leads_by_ad),
    'meta_leads_daily_rows', (select count(*) from public.traffic_meta_leads_daily));
end
$$;
comment on function public.traffic_rebuild_meta_leads() is
  'Recomputes traffic_meta_leads_by_ad (and through its triggers traffic_meta_leads_daily) from '
  'traffic_facebook_ad_actions (repair after writes with triggers off). Returns the row counts.';
