-- fb_upsert_insights takes an ad-day's actions in their stored form, {"<type>": [value, cost]}
-- with Meta's decimal text as JSON numbers, and checks them as they are instead of rebuilding
-- them from a list of {action_type, value, cost_per_action} (issue 11 item 4: fb-ads-sync's
-- pages; fb-ads-sync/store.ts writes that form). The list form is still accepted (tests, other
-- callers) and rebuilt as before. One rule checks an entry in either form:
-- private.traffic_action_entry_ok (a type of 1-200 letters, digits, _ . : -; [value, cost] with
-- value a number >= 0 and cost a number >= 0 or null), plain SQL that the planner inlines.
--
-- Why: rebuilding a 500-row page's ~1,940 entries (jsonb_array_elements per ad-day, two numeric
-- casts and a jsonb_build_array per entry, jsonb_object_agg) cost 16-21 ms of a backend's time a
-- page in psql (dev stack, 21:48 UTC, load 3.5-4.5; the bench's first page, 10 calls x 3
-- rounds), checking the stored form with jsonb_each 7-9 ms; the page's body is 235 KB instead of
-- 321 KB. A JSON path check per ad-day or per page was not cheaper. Replaying the bench's 300
-- pages through PostgREST into emptied, never-analyzed tables (4 callers, dev stack, 21:51-21:54
-- UTC, load 4.5-9, alternating): Postgres CPU 48.7 / 45.5 / 46.9 ms a page with the list form and
-- the old function, 38.3 / 47.5 / 37.5 with the stored form; a re-run of the same pages (nothing
-- written) 22.3 / 23.9 / 25.6 against 21.2 / 19.5 / 19.3 (docs/benchmarks.md, fbsync seventh
-- session). Every run ended with the same rows, Meta leads and sums.
create or replace function private.traffic_action_entry_ok(p_type text, p_entry jsonb)
returns boolean
language sql
immutable
as $$
  select p_type ~ '^[A-Za-z0-9_.:-]+$' and length(p_type) <= 200
    and jsonb_typeof(p_entry) = 'array' and jsonb_array_length(p_entry) = 2
    and jsonb_typeof(p_entry -> 0) = 'number' and (p_entry -> 0) >= '0'::jsonb
    and (jsonb_typeof(p_entry -> 1) = 'null'
      or (jsonb_typeof(p_entry -> 1) = 'number' and (p_entry -> 1) >= '0'::jsonb))
$$;
comment on function private.traffic_action_entry_ok(text, jsonb) is
  'THE check of one stored action entry of an ad-day (traffic_facebook_ads_raw.actions: '
  '"<type>": [value, cost]): a type of 1-200 letters, digits, _ . : -, a value >= 0 and a cost '
  '>= 0 or null. Null (a failure) when a part is missing. Inlined by the planner.';
revoke all on function private.traffic_action_entry_ok(text, jsonb) from public, anon, authenticated;

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
      jsonb_typeof(r.actions) in ('object', 'array') as has_actions, r.actions as actions_in
    from jsonb_array_elements(p_rows) with ordinality as e(item, ord)
    cross join lateral jsonb_to_record(e.item) as r(
      account_id text, account_name text, account_currency text,
      campaign_id text, campaign_name text, adset_id text, adset_name text,
      ad_id text, ad_name text, stat_date date,
      spend numeric, impressions bigint, clicks bigint, reach bigint, actions jsonb)
    order by r.ad_id, r.stat_date, e.ord desc
  ),
  parsed as materialized (
    -- A list arrives in its stored form ({"<type>": [value, cost]}, numbers as Meta's decimal
    -- text: what fb-ads-sync sends) and is checked as it is, or as a list of {action_type,
    -- value, cost_per_action} (other callers), rebuilt into the stored form and checked entry by
    -- entry as before. Either way by private.traffic_action_entry_ok; `bad` names a failing type.
    select i.*,
      case when jsonb_typeof(i.actions_in) = 'object' then i.actions_in else l.actions end
        as actions,
      coalesce(l.bad, (
        select min(a.key)
        from jsonb_each(case when jsonb_typeof(i.actions_in) = 'object' then i.actions_in end)
          as a(key, value)
        where not coalesce(private.traffic_action_entry_ok(a.key, a.value), false))) as bad
    from incoming i
    left join lateral (
      select coalesce(jsonb_object_agg(x.item ->> 'action_type', x.entry order by x.ord)
          filter (where x.item ->> 'action_type' is not null), '{}') as actions,
        -- (an entry without a type is left out, as before)
        min(x.item ->> 'action_type') filter (where not coalesce(
          private.traffic_action_entry_ok(x.item ->> 'action_type', x.entry), false)) as bad
      from jsonb_array_elements(case when jsonb_typeof(i.actions_in) = 'array'
          then i.actions_in end) with ordinality as x0(item, ord)
      cross join lateral (
        select x0.item, x0.ord, jsonb_build_array((x0.item ->> 'value')::numeric,
          (x0.item ->> 'cost_per_action')::numeric) as entry
      ) x
    ) l on jsonb_typeof(i.actions_in) = 'array'
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
      -- Each part from this row only when it is not older than the stored one (another writer
      -- may have committed either meanwhile); a row that brings no list keeps the stored one.
      team_name = case when t.synced_at <= excluded.synced_at then excluded.team_name else t.team_name end,
      account_id = case when t.synced_at <= excluded.synced_at then excluded.account_id else t.account_id end,
      account_name = case when t.synced_at <= excluded.synced_at then excluded.account_name else t.account_name end,
      account_currency = case when t.synced_at <= excluded.synced_at then excluded.account_currency else t.account_currency end,
      campaign_id = case when t.synced_at <= excluded.synced_at then excluded.campaign_id else t.campaign_id end,
      campaign_name = case when t.synced_at <= excluded.synced_at then excluded.campaign_name else t.campaign_name end,
      adset_id = case when t.synced_at <= excluded.synced_at then excluded.adset_id else t.adset_id end,
      adset_name = case when t.synced_at <= excluded.synced_at then excluded.adset_name else t.adset_name end,
      ad_name = case when t.synced_at <= excluded.synced_at then excluded.ad_name else t.ad_name end,
      spend = case when t.synced_at <= excluded.synced_at then excluded.spend else t.spend end,
      impressions = case when t.synced_at <= excluded.synced_at then excluded.impressions else t.impressions end,
      clicks = case when t.synced_at <= excluded.synced_at then excluded.clicks else t.clicks end,
      reach = case when t.synced_at <= excluded.synced_at then excluded.reach else t.reach end,
      synced_at = case when t.synced_at <= excluded.synced_at then excluded.synced_at else t.synced_at end,
      actions = case when coalesce(excluded.actions_synced_at, '-infinity')
          >= coalesce(t.actions_synced_at, '-infinity') then excluded.actions else t.actions end,
      actions_synced_at = greatest(excluded.actions_synced_at, t.actions_synced_at)
    where (t.synced_at <= excluded.synced_at
        and (t.team_name, t.account_id, t.account_name, t.account_currency, t.campaign_id,
             t.campaign_name, t.adset_id, t.adset_name, t.ad_name, t.spend, t.impressions,
             t.clicks, t.reach)
          is distinct from
            (excluded.team_name, excluded.account_id, excluded.account_name,
             excluded.account_currency, excluded.campaign_id, excluded.campaign_name,
             excluded.adset_id, excluded.adset_name, excluded.ad_name, excluded.spend,
             excluded.impressions, excluded.clicks, excluded.reach))
      or (coalesce(excluded.actions_synced_at, '-infinity')
            >= coalesce(t.actions_synced_at, '-infinity')
          and t.actions is distinct from excluded.actions)
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
  'stat_date); a row''s actions, stored form {"<type>": [value, cost]} or a list '
  '[{action_type, value, cost_per_action}], replace that ad-day''s list '
  '(traffic_facebook_ads_raw.actions; absent: left alone). Writes only what is new '
  'or differs (and is not older than the stored values), reading only the page''s own ad-days; '
  'returns how many ad-days it inserted or changed. Commits synchronously (a page reported '
  'written survives a crash).';
