-- fb_upsert_insights plans its page statement at every call (EXECUTE ... USING), on the tables as
-- they are then, instead of keeping the generic plan PL/pgSQL caches per connection after five
-- calls (issue 11 item 4: the empty-table first sync; docs/benchmarks.md, fbsync eighth session).
-- The statement itself is unchanged (20261207215000's); only how it is planned.
--
-- Why: a connection that made its generic plan while traffic_facebook_ads_raw was new and held a
-- few hundred rows (a new project's first, small syncs; the bench's one-day warm-up) could probe
-- each incoming ad-day by traffic_facebook_ads_raw_stat_date_idx alone, with user_id and ad_id
-- as a filter: with no statistics every index costs about the same on a tiny table, and the
-- smallest wins. Nothing invalidates that plan while the table grows (no analyze runs inside a
-- sync; autovacuum waits at least a minute), so every later page on that connection read every
-- row of each probed day (auto_explain of a re-run page on such a connection, dev stack,
-- 2026-12-08 00:26 UTC: `Index Scan using traffic_facebook_ads_raw_stat_date_idx`, `Filter:
-- user_id, ad_id`; 95-100 ms a page against 14-15 ms on a fresh connection). Which connection
-- gets such a plan depends on the calls' timing, one reason the empty-table first sync's Postgres
-- CPU varied 13-25 s for the same work. In the bench, a re-run on the first sync's connections
-- spent 8.9 / 9.1 s of Postgres CPU, 6.2 / 5.6 s after PostgREST's pool was flushed (new
-- connections, same never-analyzed tables), autovacuum off (2026-12-08 00:20-00:23 UTC, load
-- 4.9-6.7). A plan made per call follows the table's size. Planning the statement per call
-- costs ~1-1.5 ms a page more than running a cached plan (EXPLAIN EXECUTE of the bench's page,
-- custom against generic plans alternating, 3 pairs, dev stack at load 8), against 20-60 ms a
-- page. The triggers' statements keep their cached plans (planning every statement of a page
-- per call did not pay: 20261207115940).
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

  -- Planned at every call (EXECUTE ... USING: $1 p_user_id, $2 p_rows, $3 p_fetched_at, $4
  -- v_team), on the tables as they are now, not by a plan cached while they were new
  -- (migration 20261208004800).
  execute $stmt$
  with incoming as materialized (
    -- One row per (ad_id, stat_date): the last one in the array wins (ON CONFLICT may not touch
    -- a row twice in one statement); within a list, the last entry of a type wins.
    select distinct on (r.ad_id, r.stat_date) $1 as user_id,
      r.account_id, r.account_name, coalesce(r.account_currency, 'USD') as account_currency,
      r.campaign_id, r.campaign_name, r.adset_id, r.adset_name, r.ad_id, r.ad_name, r.stat_date,
      coalesce(r.spend, 0) as spend, coalesce(r.impressions, 0) as impressions,
      coalesce(r.clicks, 0) as clicks, coalesce(r.reach, 0) as reach,
      jsonb_typeof(r.actions) in ('object', 'array') as has_actions, r.actions as actions_in
    from jsonb_array_elements($2) with ordinality as e(item, ord)
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
      case when w.raw then $4 else t.team_name end as team_name,
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
      case when w.raw then $3 else t.synced_at end as synced_at,
      case when w.act then i.actions else t.actions end as actions,
      case when w.act then $3 else t.actions_synced_at end as actions_synced_at
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
        t.synced_at is null or (t.synced_at <= $3
          and (t.team_name, t.account_id, t.account_name, t.account_currency, t.campaign_id,
               t.campaign_name, t.adset_id, t.adset_name, t.ad_name, t.spend, t.impressions,
               t.clicks, t.reach)
            is distinct from
              ($4, i.account_id, i.account_name, i.account_currency, i.campaign_id,
               i.campaign_name, i.adset_id, i.adset_name, i.ad_name, i.spend, i.impressions,
               i.clicks, i.reach)) as raw,
        i.has_actions and (t.synced_at is null
          or (coalesce(t.actions_synced_at, '-infinity') <= $3
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
  $stmt$
    into v_count, v_bad
    using p_user_id, p_rows, p_fetched_at, v_team;
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
