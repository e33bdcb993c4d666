-- The raw write, issue 11 item 4, in two parts (landed first on a branch as 20261208030800, a
-- version trig landed first; renamed before landing):
-- 1. fb_upsert_insights runs its page statement as static SQL again, with the plan PL/pgSQL
--    caches per connection, and plans it at every call only while traffic_facebook_ads_raw is
--    small (under 2 MB on disk): the per-call planning of 20261208004800 on re-runs.
-- 2. traffic_facebook_ads_raw_stat_date_idx is dropped (at the end of this file).
--
-- Part 1.
-- The statement is unchanged (20261207215000's text, which 20261208004800 ran by EXECUTE with
-- $1..$4 for p_user_id, p_rows, p_fetched_at and v_team).
--
-- Why: 20261208004800 planned the statement at every call so that a connection which made its
-- generic plan on a new, tiny table (a few hundred rows, never analyzed) would not keep probing
-- each ad-day by an index that holds only some of user_id, ad_id and stat_date for the rest of
-- its life. That planning costs every page, also on a table of millions of rows where a generic
-- plan is as good (bench volume re-runs 0.8-1.0 s more Postgres CPU, docs/benchmarks.md fbsync
-- eighth session). The trap is confined to small tables: the generic plan of this statement, on
-- a never-analyzed table, probes by traffic_facebook_ads_raw_stat_date_idx (Filter user_id,
-- ad_id) at 0-100 rows, by the (user_id, adset_id, stat_date) index (Filter ad_id) at 300-600
-- rows (18-35 pages), and by (user_id, stat_date, ad_id) with all three columns at 700 rows
-- (40 pages) and every size above, to 150,000 rows (dev stack, psql, 2026-12-08 03:05 UTC). So
-- while the table is under 256 pages (2 MB, ~4,500 of the bench's rows; 7x the largest trapped
-- size) the call sets plan_cache_mode = force_custom_plan for its statement and restores the
-- caller's value after it; from then on PL/pgSQL's cache takes its generic plan as usual (after
-- five custom plans, which the small-table calls count), made on a table past the trap. The
-- size is read from the relation itself (pg_relation_size: the file's length, no statistics
-- needed), a few microseconds a call.
--
-- The setting also reaches the statements of the raw table's AFTER triggers that run inside
-- this statement while the table is small (a statement with parameters plans per call then;
-- one without parameters is always generic): they too make their generic plans only once the
-- raw table is past 2 MB.
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
  v_mode text;
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

  -- While the raw table is small, this call plans its statement for the table as it is (its
  -- cached generic plan would be made for a tiny table and kept: migration 20261208033700); the
  -- caller's plan_cache_mode is restored right after (an error undoes it with the transaction).
  if pg_relation_size('public.traffic_facebook_ads_raw'::regclass) < 2097152 then
    v_mode := current_setting('plan_cache_mode');
    perform set_config('plan_cache_mode', 'force_custom_plan', true);
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
  if v_mode is not null then
    perform set_config('plan_cache_mode', v_mode, true);
  end if;
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

-- Part 2. traffic_facebook_ads_raw without traffic_facebook_ads_raw_stat_date_idx (stat_date
-- alone). Every ad-day a sync inserts paid an insert into each of the
-- raw heap's seven indexes; one secondary index cost ~1.2-1.5 ms of Postgres CPU a 500-row page
-- (docs/benchmarks.md, fbsync seventh and ninth sessions). Same rows, same answers.
--
-- Who read it (every SQL function over the table, PostgREST, traffic-api, aggregate-metrics and
-- the dashboard checked; 2026-12-08, dev stack with the bench's year: 2.15 M rows, 1,000 users):
--   private.traffic_campaign_metrics_top, an admin's read of many teams (`stat_date between ...
--     and user_id = any(v_users)`, planned for its own call): a bitmap scan of this index before;
--     now a bitmap scan of traffic_facebook_ads_raw_user_date_ad_idx (user_id = any(...) and the
--     date range in its Index Cond), the same 385,000 rows for 7 days of 1,000 users (1.9 s
--     against 2.3 s, load 9); a 30-day range was a sequential scan either way; one team's read
--     (a targetologist, and an admin's user_id) always used (user_id, stat_date, ad_id).
--   The page statement's probe on a tiny, never-analyzed table (0-100 rows) took this index with
--     user_id and ad_id as a filter (part 1); without it the probe is exact
--     there too (the (user_id, adset_id, stat_date) index remains the trap at 300-600 rows, which
--     part 1 plans per call).
--   A PostgREST filter on stat_date alone by an admin (scripts/demo/explore.ts shows one; the
--     dashboard reads only traffic-api, traffic-api reads the table only through SQL functions):
--     a sequential scan now (one day of 2.15 M rows 203 ms, against 7-40 ms by the index); a
--     targetologist's (RLS: user_id = auth.uid()) is a (user_id, stat_date, ad_id) range.
--   No other reader: traffic_fb_freshness (max(stat_date) per user), traffic_attribution_entity,
--     the entity names of traffic_campaign_metrics_top, traffic_api_campaigns_top, the Meta-lead
--     refresh and the ad directory's delete read by user_id first (their indexes stay); the
--     rebuilds read the whole table; aggregate-metrics reads traffic_spend_daily.
-- Kept: traffic_facebook_ads_raw_account_actions_idx (account_id, rows with actions). Its one
-- reader, a change of traffic_meta_lead_settings, reads an account's ad-days while it holds a
-- SHARE lock on this table, which stops every sync's writes: by the index 21 ms for one
-- account, by a sequential scan 319 ms at 2.15 M rows (more at a real year), for every sync
-- waiting on it.
drop index if exists public.traffic_facebook_ads_raw_stat_date_idx;
