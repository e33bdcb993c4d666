-- fb_upsert_insights as before (one page of Meta insights rows, one statement, idempotent), but
-- its commit is synchronous whatever the server's default: a page the sync was told is written
-- survives a Postgres crash, so an account reported ok holds all its rows (issue 12 item 2: seen
-- 1,000 of 1,500 rows of an account reported ok after a kill on the local stack).
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
  v_changed int;
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
    returning 1
  )
  select count(*)::int into v_changed from written;
  return v_changed;
end
$$;
comment on function public.fb_upsert_insights(uuid, jsonb, timestamptz) is
  'Upserts insights rows (jsonb array of {account_id, account_name, account_currency, campaign_id, '
  'campaign_name, adset_id, adset_name, ad_id, ad_name, stat_date, spend, impressions, clicks, '
  'reach}) for p_user_id with the settings'' team_name, keyed by (user_id, ad_id, stat_date). '
  'Writes only rows that are new or whose values differ (and are not older than the stored ones); '
  'returns how many rows it inserted or changed. Commits synchronously (a page reported written '
  'survives a crash).';
revoke all on function public.fb_upsert_insights(uuid, jsonb, timestamptz)
  from public, anon, authenticated;
grant execute on function public.fb_upsert_insights(uuid, jsonb, timestamptz) to service_role;
