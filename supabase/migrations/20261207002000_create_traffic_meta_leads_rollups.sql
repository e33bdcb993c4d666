-- meta_leads, derived once per ad-day and rolled up per (user, day) the way spend is
-- (traffic_spend_daily): the metrics read one row per user-day, never the raw actions.
--
-- The rule (its only definition is private.traffic_meta_leads_refresh): for each ad-day, the
-- value of the first action type of the account's lead list (traffic_meta_lead_settings, else
-- private.traffic_default_meta_lead_types()) that Meta reported; no such type: no Meta lead.
-- Kept by statement triggers on traffic_facebook_ad_actions (the ad-days a statement touched are
-- re-derived, then their user-days re-summed) and by a trigger on the settings (every ad-day of
-- that account).

create table public.traffic_meta_leads_by_ad (
  user_id uuid not null references auth.users (id) on delete cascade,
  ad_id text not null,
  stat_date date not null,
  account_id text not null,
  action_type text not null,
  meta_leads numeric not null,
  primary key (user_id, ad_id, stat_date)
);
alter table public.traffic_meta_leads_by_ad enable row level security;
comment on table public.traffic_meta_leads_by_ad is
  'meta_leads per ad-day (only ad-days with a lead type): the value of the first action type of '
  'the account''s lead list that Meta reported (action_type says which). Derived from '
  'traffic_facebook_ad_actions by triggers; read by the campaign metrics; RLS like the raw rows.';
create index traffic_meta_leads_by_ad_user_date_idx
  on public.traffic_meta_leads_by_ad (user_id, stat_date);

create table public.traffic_meta_leads_daily (
  user_id uuid not null references auth.users (id) on delete cascade,
  stat_date date not null,
  meta_leads numeric not null default 0,
  ad_rows int not null default 0,
  primary key (user_id, stat_date)
);
alter table public.traffic_meta_leads_daily enable row level security;
comment on table public.traffic_meta_leads_daily is
  'Daily rollup of traffic_meta_leads_by_ad per (user_id, stat_date): meta_leads and the number '
  'of ad-days with a lead type. Kept equal by triggers; what the metrics read.';
create index traffic_meta_leads_daily_stat_date_idx on public.traffic_meta_leads_daily (stat_date);

revoke all on table public.traffic_meta_leads_by_ad, public.traffic_meta_leads_daily
  from anon, authenticated;
grant select on table public.traffic_meta_leads_by_ad, public.traffic_meta_leads_daily
  to authenticated, service_role;

create policy "meta leads by ad: read own, admin reads all"
  on public.traffic_meta_leads_by_ad for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));
comment on policy "meta leads by ad: read own, admin reads all" on public.traffic_meta_leads_by_ad is
  'A targetologist reads their own Meta leads per ad-day; an admin reads every team''s.';
create policy "meta leads daily: read own, admin reads all"
  on public.traffic_meta_leads_daily for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));
comment on policy "meta leads daily: read own, admin reads all" on public.traffic_meta_leads_daily is
  'A targetologist reads their own daily Meta leads; an admin reads every team''s.';

-- Re-derives the given ad-days (parallel arrays) and re-sums their user-days. Work is
-- proportional to the ad-days given (and the ads of their user-days), never to the tables.
create or replace function private.traffic_meta_leads_refresh(
  p_users uuid[], p_ads text[], p_days date[])
returns void
language plpgsql
security definer
set search_path = ''
as $$
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
    left join public.traffic_meta_lead_settings s on s.account_id = a.account_id
    cross join lateral (select array_position(
      coalesce(s.lead_action_types, private.traffic_default_meta_lead_types()),
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

  -- The user-days of those ad-days, re-summed from the per-ad-day rows.
  with days as (
    select distinct k.user_id, k.stat_date
    from unnest(p_users, p_days) as k(user_id, stat_date)
    where k.user_id is not null
  ),
  sums as (
    select d.user_id, d.stat_date, sum(b.meta_leads) as meta_leads, count(b.ad_id)::int as ad_rows
    from days d
    left join public.traffic_meta_leads_by_ad b
      on b.user_id = d.user_id and b.stat_date = d.stat_date
    group by d.user_id, d.stat_date
  ),
  emptied as (
    delete from public.traffic_meta_leads_daily t
    using sums s
    where t.user_id = s.user_id and t.stat_date = s.stat_date and s.ad_rows = 0
    returning 1
  )
  insert into public.traffic_meta_leads_daily as t (user_id, stat_date, meta_leads, ad_rows)
  select s.user_id, s.stat_date, s.meta_leads, s.ad_rows
  from sums s
  where s.ad_rows > 0
    -- a user removed meanwhile (cascade) gets nothing re-created
    and exists (select 1 from auth.users u where u.id = s.user_id)
  order by 1, 2
  on conflict (user_id, stat_date) do update set
    meta_leads = excluded.meta_leads, ad_rows = excluded.ad_rows
  where (t.meta_leads, t.ad_rows) is distinct from (excluded.meta_leads, excluded.ad_rows);
end
$$;
comment on function private.traffic_meta_leads_refresh(uuid[], text[], date[]) is
  'THE meta_leads rule: re-derives traffic_meta_leads_by_ad for the given ad-days (per ad-day the '
  'first action type of the account''s lead list that Meta reported, its value) and re-sums '
  'traffic_meta_leads_daily for their user-days.';
revoke all on function private.traffic_meta_leads_refresh(uuid[], text[], date[])
  from public, anon, authenticated;

create or replace function private.traffic_meta_leads_actions_sync()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_users uuid[];
  v_ads text[];
  v_days date[];
begin
  if tg_op = 'INSERT' then
    select array_agg(n.user_id), array_agg(n.ad_id), array_agg(n.stat_date)
      into v_users, v_ads, v_days from new_rows n;
  elsif tg_op = 'UPDATE' then
    select array_agg(x.user_id), array_agg(x.ad_id), array_agg(x.stat_date)
      into v_users, v_ads, v_days
      from (select n.user_id, n.ad_id, n.stat_date from new_rows n
            union select o.user_id, o.ad_id, o.stat_date from old_rows o) x;
  else
    select array_agg(o.user_id), array_agg(o.ad_id), array_agg(o.stat_date)
      into v_users, v_ads, v_days from old_rows o;
  end if;
  if v_users is not null then
    perform private.traffic_meta_leads_refresh(v_users, v_ads, v_days);
  end if;
  return null;
end
$$;
comment on function private.traffic_meta_leads_actions_sync() is
  'Statement trigger of traffic_facebook_ad_actions: re-derives Meta leads of the ad-days the '
  'statement touched.';
revoke all on function private.traffic_meta_leads_actions_sync() from public, anon, authenticated;

create trigger meta_leads_insert after insert on public.traffic_facebook_ad_actions
  referencing new table as new_rows
  for each statement execute function private.traffic_meta_leads_actions_sync();
create trigger meta_leads_update after update on public.traffic_facebook_ad_actions
  referencing old table as old_rows new table as new_rows
  for each statement execute function private.traffic_meta_leads_actions_sync();
create trigger meta_leads_delete after delete on public.traffic_facebook_ad_actions
  referencing old table as old_rows
  for each statement execute function private.traffic_meta_leads_actions_sync();

create or replace function private.traffic_meta_leads_truncate()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from public.traffic_meta_leads_by_ad;
  delete from public.traffic_meta_leads_daily;
  return null;
end
$$;
comment on function private.traffic_meta_leads_truncate() is
  'TRUNCATE trigger of traffic_facebook_ad_actions: empties the Meta leads rollups.';
revoke all on function private.traffic_meta_leads_truncate() from public, anon, authenticated;
create trigger meta_leads_truncate after truncate on public.traffic_facebook_ad_actions
  for each statement execute function private.traffic_meta_leads_truncate();

-- A changed lead list re-derives every ad-day of that account (an admin action, account-sized).
-- Transition tables: one trigger per event (insert has no old rows, delete no new ones).
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
  if tg_op = 'INSERT' then
    select array_agg(n.account_id) into v_accounts from new_rows n;
  elsif tg_op = 'UPDATE' then
    select array_agg(x.account_id) into v_accounts
      from (select n.account_id from new_rows n union select o.account_id from old_rows o) x;
  else
    select array_agg(o.account_id) into v_accounts from old_rows o;
  end if;
  select array_agg(a.user_id), array_agg(a.ad_id), array_agg(a.stat_date)
    into v_users, v_ads, v_days
  from (select distinct a.user_id, a.ad_id, a.stat_date
        from public.traffic_facebook_ad_actions a
        where a.account_id = any (v_accounts)) a;
  if v_users is not null then
    perform private.traffic_meta_leads_refresh(v_users, v_ads, v_days);
  end if;
  return null;
end
$$;
comment on function private.traffic_meta_lead_settings_sync() is
  'Statement trigger of traffic_meta_lead_settings: re-derives Meta leads of every ad-day of the '
  'accounts whose lead list was set, changed or removed.';
revoke all on function private.traffic_meta_lead_settings_sync() from public, anon, authenticated;

create trigger meta_lead_settings_insert after insert on public.traffic_meta_lead_settings
  referencing new table as new_rows
  for each statement execute function private.traffic_meta_lead_settings_sync();
create trigger meta_lead_settings_update after update on public.traffic_meta_lead_settings
  referencing old table as old_rows new table as new_rows
  for each statement execute function private.traffic_meta_lead_settings_sync();
create trigger meta_lead_settings_delete after delete on public.traffic_meta_lead_settings
  referencing old table as old_rows
  for each statement execute function private.traffic_meta_lead_settings_sync();

-- Repair path (rows written with triggers off): every ad-day re-derived, every user-day re-summed.
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
        from public.traffic_facebook_ad_actions a) a;
  if v_users is not null then
    perform private.traffic_meta_leads_refresh(v_users, v_ads, v_days);
  end if;
  return jsonb_build_object(
    'meta_leads_by_ad_rows', (select count(*) from public.traffic_meta_leads_by_ad),
    'meta_leads_daily_rows', (select count(*) from public.traffic_meta_leads_daily));
end
$$;
comment on function public.traffic_rebuild_meta_leads() is
  'Recomputes traffic_meta_leads_by_ad and traffic_meta_leads_daily from '
  'traffic_facebook_ad_actions (repair after writes with triggers off). Returns the row counts.';
revoke all on function public.traffic_rebuild_meta_leads() from public, anon, authenticated;
grant execute on function public.traffic_rebuild_meta_leads() to service_role;
