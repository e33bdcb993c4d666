-- The Meta leads of ad-days a statement inserts come from its inserted rows themselves (issue 11
-- item 4: fb-ads-sync's first sync), and the meta_leads rule is one inlinable function that both
-- ways of deriving them call.
--
-- Why: on every page of a first sync, meta_leads_insert gathered the inserted ad-days' keys and
-- handed them to private.traffic_meta_leads_refresh, which probed traffic_facebook_ads_raw again
-- for each key (to read the list the statement had just written), probed traffic_meta_leads_by_ad
-- for rows to delete (`gone`: none can exist for an ad-day that did not exist) and upserted.
-- Replaying the bench's 300 pages into emptied, never-analyzed tables through PostgREST (4
-- callers, dev stack, 2026-12-07 19:07 UTC, load 8.6-9.7) cost 53.8 / 54.2 ms of Postgres CPU a
-- page with the trigger and 39.0 / 31.6 ms with it disabled: the refresh was 15-22 ms of a page
-- (docs/benchmarks.md, fbsync sixth session). The inserted rows are in the trigger's transition
-- table, with their account and list: their Meta leads are one insert from it.
--
--   * private.traffic_meta_lead_of(account_id, actions): THE meta_leads rule (per ad-day the
--     first type of the account's lead list, or the default list, that the actions hold; its
--     value), plain SQL so the planner inlines it (not strict, not security definer, no SET);
--     private.traffic_meta_leads_refresh reads it instead of writing the rule out itself.
--   * private.traffic_meta_leads_raw_sync on INSERT: inserts the new ad-days' Meta leads from
--     new_rows through the rule, without ON CONFLICT: a Meta-lead row exists only for an ad-day
--     whose raw row exists (these triggers delete it with the raw row, in the same transaction;
--     a writer of the same key waits on the raw table's unique key first, and an INSERT ... ON
--     CONFLICT's insert trigger sees only the rows it inserted). Only a write with the triggers
--     off can leave one behind; that state needs traffic_rebuild_meta_leads anyway, and until
--     then a page bringing that ad-day fails loudly (unique violation on
--     traffic_meta_leads_by_ad_pkey) instead of writing around it. The replay above: 41.3 / 43.1
--     ms a page with a plain insert, 43.1 / 39.0 with ON CONFLICT DO UPDATE (the same within
--     the noise; the plain one also keeps the upsert clause written once, in the refresh).
--     UPDATE and DELETE still go through the refresh (unchanged).
create or replace function private.traffic_meta_lead_of(p_account_id text, p_actions jsonb)
returns table (action_type text, meta_leads numeric)
language sql
stable
as $$
  select l.action_type, (p_actions -> l.action_type ->> 0)::numeric
  from unnest(coalesce(
      (select s.lead_action_types from public.traffic_meta_lead_settings s
       where s.account_id = p_account_id),
      private.traffic_default_meta_lead_types())) with ordinality as l(action_type, pos)
  where p_actions ? l.action_type
  order by l.pos
  limit 1
$$;
comment on function private.traffic_meta_lead_of(text, jsonb) is
  'THE meta_leads rule of one ad-day: the first action type of the account''s lead list '
  '(traffic_meta_lead_settings, else private.traffic_default_meta_lead_types()) that its actions '
  '({"<type>": [value, cost]}) hold, and that value; no row when none. Inlined by the planner.';
revoke all on function private.traffic_meta_lead_of(text, jsonb) from public, anon, authenticated;

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
  picked as (
    select r.user_id, r.ad_id, r.stat_date, r.account_id, p.action_type, p.meta_leads as value
    from keys k
    join public.traffic_facebook_ads_raw r
      on r.user_id = k.user_id and r.ad_id = k.ad_id and r.stat_date = k.stat_date
    cross join lateral private.traffic_meta_lead_of(r.account_id, r.actions) as p
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
  'Re-derives traffic_meta_leads_by_ad for the given ad-days from traffic_facebook_ads_raw.actions '
  'by THE meta_leads rule (private.traffic_meta_lead_of); traffic_meta_leads_daily follows '
  'through the triggers of traffic_meta_leads_by_ad.';

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
    -- New ad-days: the rule applied to the inserted rows as they are (no probe of the raw rows,
    -- nothing to delete, nothing to conflict with: see the header).
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
  'Statement trigger of traffic_facebook_ads_raw: inserted ad-days get their Meta leads from the '
  'inserted rows by private.traffic_meta_lead_of; for ad-days whose actions (or account) an '
  'update changed, when the old or new list holds a type of a lead list in use '
  '(private.traffic_meta_lead_types_in_use()), the refresh re-derives them; deleted ad-days lose '
  'theirs.';
