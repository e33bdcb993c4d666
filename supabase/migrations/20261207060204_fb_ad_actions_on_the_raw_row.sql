-- An ad-day's Meta actions are stored with its raw row, as one jsonb object, instead of one row
-- per action type in their own table (issue 11 item 4: fb-ads-sync's wall time).
--
-- Why: a page of 500 raw rows carried ~2,000 action rows, and writing them was two thirds of the
-- page's Postgres CPU (first sync ~95 ms a page with them, ~36 ms without; a re-sync ~31 vs
-- ~12 ms; figures in docs/benchmarks.md): the rows, their two indexes, the per-ad-day
-- comparison that parsed and probed them, their statement triggers, and the autovacuums the
-- inserts made due. Stored on the raw row, an ad-day's list costs one column of a row that is
-- written anyway, an unchanged list is one jsonb comparison, and a re-sync writes nothing.
--
--   * traffic_facebook_ads_raw.actions: {"<action_type>": [value, cost_per_action], ...} (jsonb
--     numbers, scale kept; cost null when Meta sent none); '{}' when Meta reports none; null when
--     the ad-day was never synced with its actions (a caller that did not ask for them).
--     actions_synced_at: when the list was fetched, first or after its last change (older fetches
--     never overwrite it). The check of an action type, value and cost is made by
--     fb_upsert_insights (SQLSTATE 23514, same rules as the old table's checks).
--   * public.traffic_facebook_ad_actions stays, as a view with the same columns (one row per
--     ad-day and type), security_invoker: the raw rows' RLS decides what a caller sees (read own,
--     admin reads all, exactly the old table's policy). synced_at is now the ad-day list's.
--   * meta_leads (the rule is still private.traffic_meta_leads_refresh alone) is derived from the
--     raw rows' actions; statement triggers on traffic_facebook_ads_raw re-derive the ad-days
--     whose list or account a statement changed (only lists holding a type some lead list names),
--     and remove those of deleted raw rows (a removed user's cascade included).
--   * An ad-day's list is one value: two writers of one ad-day can no longer leave a mix of both
--     lists (review F1 of 20261207023534); the later fetch wins whole, as for the raw row.
-- The stored action rows move onto their raw rows here; action rows without a raw row (only a
-- direct write could make them) are dropped with the table.

alter table public.traffic_facebook_ads_raw
  add column actions jsonb,
  add column actions_synced_at timestamptz,
  add constraint traffic_facebook_ads_raw_actions_check
    check (actions is null or jsonb_typeof(actions) = 'object') not valid;
comment on column public.traffic_facebook_ads_raw.actions is
  'Meta''s actions of this ad-day (Ads Insights actions / cost_per_action_type): '
  '{"<action_type>": [value, cost_per_action or null]}; {} when Meta reports none; null when '
  'never synced with them. Read per type through the view traffic_facebook_ad_actions.';
comment on column public.traffic_facebook_ads_raw.actions_synced_at is
  'When actions was fetched, first or after its last change (older fetches never overwrite it).';

-- The stored rows, onto their raw rows. The raw table's row triggers see an update that changes
-- no spend (the spend rollup nets to zero, the directory has the ad already).
update public.traffic_facebook_ads_raw r
set actions = a.actions, actions_synced_at = a.synced_at
from (select x.user_id, x.ad_id, x.stat_date,
        jsonb_object_agg(x.action_type, jsonb_build_array(x.value, x.cost_per_action)) as actions,
        max(x.synced_at) as synced_at
      from public.traffic_facebook_ad_actions x
      group by x.user_id, x.ad_id, x.stat_date) a
where r.user_id = a.user_id and r.ad_id = a.ad_id and r.stat_date = a.stat_date;
alter table public.traffic_facebook_ads_raw validate constraint traffic_facebook_ads_raw_actions_check;

-- The old table, its triggers and the functions only they used.
drop trigger ad_actions_follow_raw_delete on public.traffic_facebook_ads_raw;
drop trigger ad_actions_follow_raw_truncate on public.traffic_facebook_ads_raw;
drop function private.traffic_ad_actions_follow_raw();
drop table public.traffic_facebook_ad_actions;
drop function private.traffic_meta_leads_actions_sync();
drop function private.traffic_meta_leads_truncate();

create view public.traffic_facebook_ad_actions with (security_invoker = true) as
select r.user_id, r.ad_id, r.stat_date, a.key as action_type, r.account_id,
  (a.value ->> 0)::numeric as value, (a.value ->> 1)::numeric as cost_per_action,
  r.actions_synced_at as synced_at
from public.traffic_facebook_ads_raw r
cross join lateral jsonb_each(r.actions) as a
where r.actions is not null;
comment on view public.traffic_facebook_ad_actions is
  'Meta-reported actions per ad-day and action type (Ads Insights actions / cost_per_action_type, '
  'the account''s attribution setting), one row per type of traffic_facebook_ads_raw.actions. '
  'Written by fb-ads-sync (fb_upsert_insights) with the raw row; read by the owner and admins '
  '(the raw rows'' RLS: security_invoker).';
revoke all on table public.traffic_facebook_ad_actions from public, anon, authenticated;
grant select on table public.traffic_facebook_ad_actions to authenticated, service_role;

-- THE meta_leads rule, now read from the raw rows' lists: per ad-day, the first type of the
-- account's lead list that Meta reported, its value. (Same rule as 20261207005000.)
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
begin
  with keys as (
    select distinct k.user_id, k.ad_id, k.stat_date
    from unnest(p_users, p_ads, p_days) as k(user_id, ad_id, stat_date)
    where k.user_id is not null
  ),
  picked as (
    select r.user_id, r.ad_id, r.stat_date, r.account_id, p.action_type,
      (r.actions -> p.action_type ->> 0)::numeric as value
    from keys k
    join public.traffic_facebook_ads_raw r
      on r.user_id = k.user_id and r.ad_id = k.ad_id and r.stat_date = k.stat_date
    left join public.traffic_meta_lead_settings s on s.account_id = r.account_id
    cross join lateral (
      select l.action_type
      from unnest(coalesce(s.lead_action_types, v_default)) with ordinality as l(action_type, pos)
      where r.actions ? l.action_type
      order by l.pos
      limit 1) as p
    -- (no "actions is not null" here: it would let the planner read the whole partial index
    -- of the lead lists below instead of probing each key)
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
  'first action type of the account''s lead list that traffic_facebook_ads_raw.actions holds, its '
  'value); traffic_meta_leads_daily follows through the triggers of traffic_meta_leads_by_ad.';

-- Statement triggers of the raw rows: the ad-days whose list (or account) changed and whose old
-- or new list holds a type some lead list names; a deleted ad-day loses its Meta leads.
create or replace function private.traffic_meta_leads_raw_sync()
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
    select array_agg(n.user_id), array_agg(n.ad_id), array_agg(n.stat_date)
      into v_users, v_ads, v_days
      from new_rows n
      where n.actions ?| v_types;
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
  'Statement trigger of traffic_facebook_ads_raw: re-derives Meta leads of the ad-days whose '
  'actions (or account) the statement changed, when the old or new list holds a type of a lead '
  'list in use (private.traffic_meta_lead_types_in_use()); deleted ad-days lose theirs.';
revoke all on function private.traffic_meta_leads_raw_sync() from public, anon, authenticated;

create trigger meta_leads_insert after insert on public.traffic_facebook_ads_raw
  referencing new table as new_rows
  for each statement execute function private.traffic_meta_leads_raw_sync();
create trigger meta_leads_update after update on public.traffic_facebook_ads_raw
  referencing old table as old_rows new table as new_rows
  for each statement execute function private.traffic_meta_leads_raw_sync();
create trigger meta_leads_delete after delete on public.traffic_facebook_ads_raw
  referencing old table as old_rows
  for each statement execute function private.traffic_meta_leads_raw_sync();

create or replace function private.traffic_meta_leads_raw_truncate()
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
comment on function private.traffic_meta_leads_raw_truncate() is
  'TRUNCATE trigger of traffic_facebook_ads_raw: empties the Meta leads rollups.';
revoke all on function private.traffic_meta_leads_raw_truncate() from public, anon, authenticated;
create trigger meta_leads_truncate after truncate on public.traffic_facebook_ads_raw
  for each statement execute function private.traffic_meta_leads_raw_truncate();

-- A changed lead list re-derives the ad-days of its accounts. The index is partial: only ad-days
-- with actions (what a lead list can apply to) are in it.
create index traffic_facebook_ads_raw_account_actions_idx
  on public.traffic_facebook_ads_raw (account_id) where actions is not null;

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
  lock table public.traffic_facebook_ads_raw in share mode;
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
  from (select r.user_id, r.ad_id, r.stat_date
        from public.traffic_facebook_ads_raw r
        where r.account_id = any (v_accounts) and r.actions is not null
          and r.actions ?| private.traffic_meta_lead_types_in_use()
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
  'Statement trigger of traffic_meta_lead_settings: with the raw rows held still (SHARE lock), '
  're-derives Meta leads of every ad-day of the accounts whose lead list was set, changed or '
  'removed.';

-- The repair path reads only the ad-days whose list has a type some lead list names.
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
  lock table public.traffic_facebook_ads_raw in share mode;
  delete from public.traffic_meta_leads_by_ad;
  delete from public.traffic_meta_leads_daily;
  select array_agg(r.user_id), array_agg(r.ad_id), array_agg(r.stat_date)
    into v_users, v_ads, v_days
  from public.traffic_facebook_ads_raw r
  where r.actions ?| private.traffic_meta_lead_types_in_use();
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
  'traffic_facebook_ads_raw.actions (repair after writes with triggers off). Returns the row '
  'counts.';

drop function private.fb_incoming_actions(jsonb);

-- One pass over the page: each ad-day's raw columns and its actions list, compared with the
-- stored row (one probe of the unique key); only new and changed ad-days are written, in one
-- upsert. Same rules as 20261207023534: the raw columns are written when they differ and the
-- stored row is not newer (synced_at); the list when the row carries one (an absent `actions`
-- key leaves it alone, an empty array empties it), it or the account differs, and the stored
-- list is not newer (actions_synced_at). Returns how many ad-days it inserted or changed.
create or replace function public.fb_upsert_insights(
  p_user_id uuid,
  p_rows jsonb,
  p_fetched_at timestamptz default now()
)
returns int
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_team text;
  v_bad text;
  v_count int;
begin
  -- Acknowledged means on disk: a server running with synchronous_commit = off (the local stack
  -- trades durability for speed) could lose a page this function reported written when it
  -- crashes within wal_writer_delay, and the sync would report the account ok without its rows.
  -- SET LOCAL (is_local = true) lasts to the end of this transaction, so it governs its commit.
  perform set_config('synchronous_commit', 'on', true);
  if p_user_id is null or p_rows is null or jsonb_typeof(p_rows) <> 'array' then
    raise exception 'fb_upsert_insights: p_user_id and a JSON array p_rows are required'
      using errcode = '22023';
  end if;
  select s.team_name into v_team
    from public.traffic_targetologist_settings s where s.user_id = p_user_id;
  if not found then
    raise exception 'fb_upsert_insights: no settings for user %', p_user_id
      using errcode = 'P0002';
  end if;

  with incoming as materialized (
    -- One row per (ad_id, stat_date): the last one in the array wins (ON CONFLICT may not touch
    -- a row twice in one statement); within a list, the last entry of a type wins.
    select distinct on (r.ad_id, r.stat_date) p_user_id as user_id,
      r.account_id, r.account_name, coalesce(r.account_currency, 'USD') as account_currency,
      r.campaign_id, r.campaign_name, r.adset_id, r.adset_name, r.ad_id, r.ad_name, r.stat_date,
      coalesce(r.spend, 0) as spend, coalesce(r.impressions, 0) as impressions,
      coalesce(r.clicks, 0) as clicks, coalesce(r.reach, 0) as reach,
      jsonb_typeof(r.actions) = 'array' as has_actions, r.actions as actions_in
    from jsonb_array_elements(p_rows) with ordinality as e(item, ord)
    cross join lateral jsonb_to_record(e.item) as r(
      account_id text, account_name text, account_currency text,
      campaign_id text, campaign_name text, adset_id text, adset_name text,
      ad_id text, ad_name text, stat_date date,
      spend numeric, impressions bigint, clicks bigint, reach bigint, actions jsonb)
    order by r.ad_id, r.stat_date, e.ord desc
  ),
  parsed as materialized (
    select i.*, l.actions, l.bad
    from incoming i
    left join lateral (
      select coalesce(jsonb_object_agg(x.item ->> 'action_type',
          jsonb_build_array((x.item ->> 'value')::numeric,
            (x.item ->> 'cost_per_action')::numeric) order by x.ord)
          filter (where x.item ->> 'action_type' is not null), '{}') as actions,
        -- The old table's checks: a type of letters, digits and _ . : - (1-200), value given
        -- and >= 0, cost >= 0 when given. (An entry without a type is left out, as before.)
        min(x.item ->> 'action_type') filter (where not coalesce(
          x.item ->> 'action_type' ~ '^[A-Za-z0-9_.:-]+$'
          and length(x.item ->> 'action_type') <= 200
          and (x.item ->> 'value')::numeric >= 0
          and coalesce((x.item ->> 'cost_per_action')::numeric >= 0, true), false)) as bad
      from jsonb_array_elements(case when i.has_actions then i.actions_in end)
        with ordinality as x(item, ord)
    ) l on i.has_actions
  ),
  todo as (
    -- New, or changed and not older than the stored row: one probe of the unique key each. A
    -- row whose raw columns are not to be written keeps the stored ones (and the same for its
    -- list), so the upsert below writes exactly the final row.
    select i.user_id, i.ad_id, i.stat_date,
      case when w.raw then v_team else t.team_name end as team_name,
      case when w.raw then i.account_id else t.account_id end as account_id,
      case when w.raw then i.account_name else t.account_name end as account_name,
      case when w.raw then i.account_currency else t.account_currency end as account_currency,
      case when w.raw then i.campaign_id else t.campaign_id end as campaign_id,
      case when w.raw then i.campaign_name else t.campaign_name end as campaign_name,
      case when w.raw then i.adset_id else t.adset_id end as adset_id,
      case when w.raw then i.adset_name else t.adset_name end as adset_name,
      case when w.raw then i.ad_name else t.ad_name end as ad_name,
      case when w.raw then i.spend else t.spend end as spend,
      case when w.raw then i.impressions else t.impressions end as impressions,
      case when w.raw then i.clicks else t.clicks end as clicks,
      case when w.raw then i.reach else t.reach end as reach,
      case when w.raw then p_fetched_at else t.synced_at end as synced_at,
      case when w.act then i.actions else t.actions end as actions,
      case when w.act then p_fetched_at else t.actions_synced_at end as actions_synced_at
    from parsed i
    left join lateral (
      select t.team_name, t.account_id, t.account_name, t.account_currency, t.campaign_id,
        t.campaign_name, t.adset_id, t.adset_name, t.ad_name, t.spend, t.impressions,
        t.clicks, t.reach, t.synced_at, t.actions, t.actions_synced_at
      from public.traffic_facebook_ads_raw t
      where t.user_id = i.user_id and t.ad_id = i.ad_id and t.stat_date = i.stat_date
      limit 1
    ) t on true
    cross join lateral (
      select
        t.synced_at is null or (t.synced_at <= p_fetched_at
          and (t.team_name, t.account_id, t.account_name, t.account_currency, t.campaign_id,
               t.campaign_name, t.adset_id, t.adset_name, t.ad_name, t.spend, t.impressions,
               t.clicks, t.reach)
            is distinct from
              (v_team, i.account_id, i.account_name, i.account_currency, i.campaign_id,
               i.campaign_name, i.adset_id, i.adset_name, i.ad_name, i.spend, i.impressions,
               i.clicks, i.reach)) as raw,
        i.has_actions and (t.synced_at is null
          or (coalesce(t.actions_synced_at, '-infinity') <= p_fetched_at
              and (t.actions, t.account_id) is distinct from (i.actions, i.account_id))) as act
    ) w
    -- (a row with an invalid action is not written: the whole call fails below)
    where (w.raw or w.act) and i.bad is null
  ),
  written as (
    insert into public.traffic_facebook_ads_raw as t (
      user_id, team_name, account_id, account_name, account_currency,
      campaign_id, campaign_name, adset_id, adset_name, ad_id, ad_name, stat_date,
      spend, impressions, clicks, reach, synced_at, actions, actions_synced_at)
    select i.user_id, i.team_name, i.account_id, i.account_name, i.account_currency,
      i.campaign_id, i.campaign_name, i.adset_id, i.adset_name, i.ad_id, i.ad_name, i.stat_date,
      i.spend, i.impressions, i.clicks, i.reach, i.synced_at, i.actions, i.actions_synced_at
    from todo i
    on conflict (user_id, ad_id, stat_date) do update set
      team_name = excluded.team_name,
      account_id = excluded.account_id,
      account_name = excluded.account_name,
      account_currency = excluded.account_currency,
      campaign_id = excluded.campaign_id,
      campaign_name = excluded.campaign_name,
      adset_id = excluded.adset_id,
      adset_name = excluded.adset_name,
      ad_name = excluded.ad_name,
      spend = excluded.spend,
      impressions = excluded.impressions,
      clicks = excluded.clicks,
      reach = excluded.reach,
      synced_at = excluded.synced_at,
      -- (another writer stored a newer list meanwhile, or this row brings none: it stays)
      actions = case when coalesce(excluded.actions_synced_at, '-infinity')
          >= coalesce(t.actions_synced_at, '-infinity') then excluded.actions else t.actions end,
      actions_synced_at = greatest(excluded.actions_synced_at, t.actions_synced_at)
    -- (another writer committed meanwhile: raw columns older than what it stored are not written)
    where t.synced_at <= excluded.synced_at
      and (t.team_name, t.account_id, t.account_name, t.account_currency, t.campaign_id,
           t.campaign_name, t.adset_id, t.adset_name, t.ad_name, t.spend, t.impressions,
           t.clicks, t.reach, t.actions)
        is distinct from
          (excluded.team_name, excluded.account_id, excluded.account_name,
           excluded.account_currency, excluded.campaign_id, excluded.campaign_name,
           excluded.adset_id, excluded.adset_name, excluded.ad_name, excluded.spend,
           excluded.impressions, excluded.clicks, excluded.reach, excluded.actions)
    returning 1
  )
  select (select count(*)::int from written), (select min(p.bad) from parsed p)
    into v_count, v_bad;
  if v_bad is not null then
    -- (the statement above is undone with this call)
    raise exception 'fb_upsert_insights: invalid action (type %): a type of 1-200 letters, '
      'digits, _ . : -, a value >= 0 and a cost >= 0 are required', left(v_bad, 200)
      using errcode = '23514';
  end if;
  return v_count;
end
$$;
comment on function public.fb_upsert_insights(uuid, jsonb, timestamptz) is
  'Upserts insights rows (jsonb array of {account_id, account_name, account_currency, campaign_id, '
  'campaign_name, adset_id, adset_name, ad_id, ad_name, stat_date, spend, impressions, clicks, '
  'reach, actions?}) for p_user_id with the settings'' team_name, keyed by (user_id, ad_id, '
  'stat_date); a row''s actions array [{action_type, value, cost_per_action}] replaces that '
  'ad-day''s list (traffic_facebook_ads_raw.actions; absent: left alone). Writes only what is new '
  'or differs (and is not older than the stored values), reading only the page''s own ad-days; '
  'returns how many ad-days it inserted or changed. Commits synchronously (a page reported '
  'written survives a crash).';
