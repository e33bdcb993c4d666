-- fb_upsert_insights' actions path, faster (the benchmark's sync met PostgREST's statement timeout
-- under load; figures: docs/benchmarks.md, "Figures that explain settings"): the page's actions
-- are parsed once (one data-modifying statement
-- deletes the vanished types and upserts the rest, disjoint rows) and parsed with ->> instead of
-- jsonb_to_record. Same rows, same rules, same answer as 20261207002100.

create or replace function private.fb_incoming_actions(p_rows jsonb)
returns table (ad_id text, stat_date date, account_id text, action_type text, value numeric,
  cost_per_action numeric)
language sql
immutable
set search_path = ''
as $$
  with last_rows as (
    select distinct on (e.item ->> 'ad_id', (e.item ->> 'stat_date')::date)
      e.item ->> 'ad_id' as ad_id, (e.item ->> 'stat_date')::date as stat_date,
      e.item ->> 'account_id' as account_id, e.item -> 'actions' as actions
    from jsonb_array_elements(p_rows) with ordinality as e(item, ord)
    order by e.item ->> 'ad_id', (e.item ->> 'stat_date')::date, e.ord desc
  )
  select distinct on (l.ad_id, l.stat_date, x.item ->> 'action_type')
    l.ad_id, l.stat_date, l.account_id, x.item ->> 'action_type',
    (x.item ->> 'value')::numeric, (x.item ->> 'cost_per_action')::numeric
  from last_rows l
  left join lateral jsonb_array_elements(l.actions) with ordinality as x(item, ord) on true
  where jsonb_typeof(l.actions) = 'array'
  order by l.ad_id, l.stat_date, x.item ->> 'action_type', x.ord desc
$$;
comment on function private.fb_incoming_actions(jsonb) is
  'The actions of a fb_upsert_insights page: one row per (ad_id, stat_date, action_type) of the '
  'rows that carry an actions array (last row of an ad-day and last entry of a type win); an '
  'empty array gives one row with a null action_type.';
revoke all on function private.fb_incoming_actions(jsonb) from public, anon, authenticated;

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
  v_raw text[];
  v_written text[];
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

  with incoming as (
    -- One row per (ad_id, stat_date): the last one in the array wins (ON CONFLICT may not touch
    -- a row twice in one statement).
    select distinct on (r.ad_id, r.stat_date) r.*
    from jsonb_array_elements(p_rows) with ordinality as e(item, ord)
    cross join lateral jsonb_to_record(e.item) as r(
      account_id text, account_name text, account_currency text,
      campaign_id text, campaign_name text, adset_id text, adset_name text,
      ad_id text, ad_name text, stat_date date,
      spend numeric, impressions bigint, clicks bigint, reach bigint)
    order by r.ad_id, r.stat_date, e.ord desc
  ),
  written as (
    insert into public.traffic_facebook_ads_raw as t (
      user_id, team_name, account_id, account_name, account_currency,
      campaign_id, campaign_name, adset_id, adset_name, ad_id, ad_name, stat_date,
      spend, impressions, clicks, reach, synced_at)
    select p_user_id, v_team, i.account_id, i.account_name, coalesce(i.account_currency, 'USD'),
      i.campaign_id, i.campaign_name, i.adset_id, i.adset_name, i.ad_id, i.ad_name, i.stat_date,
      coalesce(i.spend, 0), coalesce(i.impressions, 0), coalesce(i.clicks, 0),
      coalesce(i.reach, 0), p_fetched_at
    from incoming i
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
      synced_at = excluded.synced_at
    where t.synced_at <= excluded.synced_at
      and (t.team_name, t.account_id, t.account_name, t.account_currency, t.campaign_id,
           t.campaign_name, t.adset_id, t.adset_name, t.ad_name, t.spend, t.impressions,
           t.clicks, t.reach)
        is distinct from
          (excluded.team_name, excluded.account_id, excluded.account_name,
           excluded.account_currency, excluded.campaign_id, excluded.campaign_name,
           excluded.adset_id, excluded.adset_name, excluded.ad_name, excluded.spend,
           excluded.impressions, excluded.clicks, excluded.reach)
    returning t.ad_id || '|' || t.stat_date
  )
  select coalesce(array_agg(w), '{}') into v_raw from written as x(w);

  -- Actions, in one statement over the page parsed once: the types an ad-day no longer has are
  -- deleted, new and changed ones upserted (disjoint rows). An ad-day holding actions fetched
  -- after p_fetched_at is left alone as a whole (older data never overwrites newer, nor adds a
  -- type to it).
  with incoming as materialized (
    select i.* from private.fb_incoming_actions(p_rows) i
    where not exists (select 1 from public.traffic_facebook_ad_actions t
                      where t.user_id = p_user_id and t.ad_id = i.ad_id
                        and t.stat_date = i.stat_date and t.synced_at > p_fetched_at)
  ),
  deleted as (
    delete from public.traffic_facebook_ad_actions t
    using (select distinct i.ad_id, i.stat_date from incoming i) k
    where t.user_id = p_user_id and t.ad_id = k.ad_id and t.stat_date = k.stat_date
      and not exists (select 1 from incoming i
                      where i.ad_id = t.ad_id and i.stat_date = t.stat_date
                        and i.action_type = t.action_type)
    returning t.ad_id || '|' || t.stat_date as k
  ),
  written as (
    insert into public.traffic_facebook_ad_actions as t (user_id, ad_id, stat_date, action_type,
      account_id, value, cost_per_action, synced_at)
    select p_user_id, i.ad_id, i.stat_date, i.action_type, i.account_id, i.value,
      i.cost_per_action, p_fetched_at
    from incoming i
    where i.action_type is not null
    order by 2, 3, 4
    on conflict (user_id, ad_id, stat_date, action_type) do update set
      account_id = excluded.account_id,
      value = excluded.value,
      cost_per_action = excluded.cost_per_action,
      synced_at = excluded.synced_at
    where t.synced_at <= excluded.synced_at
      and (t.account_id, t.value, t.cost_per_action)
        is distinct from (excluded.account_id, excluded.value, excluded.cost_per_action)
    returning t.ad_id || '|' || t.stat_date as k
  )
  select coalesce(array_agg(x.k), '{}') into v_written
  from (select d.k from deleted d union all select w.k from written w) x;

  return (select count(distinct k)::int from unnest(v_raw || v_written) as k);
end
$$;
comment on function public.fb_upsert_insights(uuid, jsonb, timestamptz) is
  'Upserts insights rows (jsonb array of {account_id, account_name, account_currency, campaign_id, '
  'campaign_name, adset_id, adset_name, ad_id, ad_name, stat_date, spend, impressions, clicks, '
  'reach, actions?}) for p_user_id with the settings'' team_name, keyed by (user_id, ad_id, '
  'stat_date); a row''s actions array [{action_type, value, cost_per_action}] replaces that '
  'ad-day''s traffic_facebook_ad_actions (absent: left alone). Writes only what is new or '
  'differs (and is not older than the stored values); returns how many ad-days it inserted or '
  'changed. Commits synchronously (a page reported written survives a crash).';
revoke all on function public.fb_upsert_insights(uuid, jsonb, timestamptz)
  from public, anon, authenticated;
grant execute on function public.fb_upsert_insights(uuid, jsonb, timestamptz) to service_role;
