-- fb_upsert_insights reads only the page's own ad-days, one index probe each, so a page costs the
-- same whatever the user already has. Before, the planner read every stored action of the user
-- (an index scan on the user_id prefix, hashed against the page: it took user_id = p_user_id for
-- a handful of rows) three times per page: a re-sync page at 56,000 stored actions of the user
-- took ~100 ms on the local stack (~20 ms now), and the 150,000-row benchmark grew page by page.
--   * Raw rows: each ad-day is compared with its stored row (one probe of the unique key); only
--     new and changed rows go through the upsert, so an unchanged row is neither locked nor
--     rewritten.
--   * Actions: each ad-day of the page is compared as a whole with its stored list (one probe of
--     the key prefix: type, value, cost and account of every stored row); an equal list writes
--     nothing, an ad-day holding actions fetched after this page is left alone, and only the
--     ad-days that differ are written, by their row-by-row difference as before (a new or
--     revised type is upserted, a vanished type deleted). An ad-day with no stored actions (a
--     first sync) is inserted without ON CONFLICT (CPU per page ~71 -> ~63 ms, mean of 30 on the
--     local stack); when another transaction inserted one of the same (ad, day, type) rows
--     meanwhile, the unique violation undoes the statement and it runs again through the upsert,
--     which then also sees and deletes what that transaction wrote and the page no longer lists.
--     When the two lists share no type there is no collision, and both writers' types stay until
--     the next sync of the ad-day (as with 20261207011200; fb-ads-sync's per-user lease keeps two
--     writers of one ad-day apart). (Header corrected after review, 2026-12-07; body unchanged.)
--   * The joins with the tables take user_id from the page (a materialized CTE), not the
--     parameter, so the only cheap plan is a probe per key.
--   * The actions are written before the raw rows: the raw rows' triggers take the rollups' row
--     locks and, for a new ad, the attribution owners' lock, which are held to the commit.
-- Same rows, same rules, same answer as 20261207011200.
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
  v_plain boolean := true;
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

  -- Actions (private.fb_incoming_actions: one row per ad-day and type; an empty list gives one
  -- row with a null type), compared per ad-day with the stored list. The ad-days with no stored
  -- actions (a first sync) are inserted without ON CONFLICT (speculative insertion cost ~40 %
  -- more CPU per row here); should another transaction have inserted one of them meanwhile, the
  -- unique violation undoes this statement and it runs again with every row through the upsert.
  loop
    begin
      with incoming as materialized (
        select p_user_id as user_id, i.* from private.fb_incoming_actions(p_rows) i
      ),
      days as materialized (
        select i.user_id, i.ad_id, i.stat_date,
          array_agg(row(i.action_type, i.value, i.cost_per_action, i.account_id)
            order by i.action_type) filter (where i.action_type is not null) as list,
          array_agg(i.action_type) filter (where i.action_type is not null) as types
        from incoming i
        group by i.user_id, i.ad_id, i.stat_date
      ),
      changed as materialized (
        -- The ad-days whose stored list differs (one probe each), unless one of their stored
        -- rows was fetched after this page (older data never overwrites newer, nor adds a type).
        select d.user_id, d.ad_id, d.stat_date, d.types, s.types as stored_types,
          v_plain and s.types is null as fresh
        from days d
        left join lateral (
          select max(a.synced_at) as newest,
            array_agg(row(a.action_type, a.value, a.cost_per_action, a.account_id)
              order by a.action_type) as list,
            array_agg(a.action_type) as types
          from public.traffic_facebook_ad_actions a
          where a.user_id = d.user_id and a.ad_id = d.ad_id and a.stat_date = d.stat_date
        ) s on true
        where (s.newest is null or s.newest <= p_fetched_at) and d.list is distinct from s.list
      ),
      deleted as (
        -- The types these ad-days no longer have.
        delete from public.traffic_facebook_ad_actions t
        using (select c.user_id, c.ad_id, c.stat_date, g.action_type
               from changed c cross join lateral unnest(c.stored_types) as g(action_type)
               where not (g.action_type = any (coalesce(c.types, '{}')))) g
        where t.user_id = g.user_id and t.ad_id = g.ad_id and t.stat_date = g.stat_date
          and t.action_type = g.action_type
        returning t.ad_id || '|' || t.stat_date as k
      ),
      inserted as (
        -- Ad-days with no stored actions: every row is new.
        insert into public.traffic_facebook_ad_actions (user_id, ad_id, stat_date, action_type,
          account_id, value, cost_per_action, synced_at)
        select p_user_id, i.ad_id, i.stat_date, i.action_type, i.account_id, i.value,
          i.cost_per_action, p_fetched_at
        from changed c
        join incoming i on i.ad_id = c.ad_id and i.stat_date = c.stat_date
        where c.fresh and i.action_type is not null
        order by 2, 3, 4
        returning ad_id || '|' || stat_date as k
      ),
      written as (
        -- New types and revised values of the other ad-days; rows equal to the stored ones stay
        -- out of ON CONFLICT (which would lock each of them).
        insert into public.traffic_facebook_ad_actions as t (user_id, ad_id, stat_date,
          action_type, account_id, value, cost_per_action, synced_at)
        select p_user_id, i.ad_id, i.stat_date, i.action_type, i.account_id, i.value,
          i.cost_per_action, p_fetched_at
        from changed c
        join incoming i on i.ad_id = c.ad_id and i.stat_date = c.stat_date
        where not c.fresh and i.action_type is not null
          and not exists (select 1 from public.traffic_facebook_ad_actions u
                          where u.user_id = c.user_id and u.ad_id = i.ad_id
                            and u.stat_date = i.stat_date and u.action_type = i.action_type
                            and u.account_id = i.account_id and u.value = i.value
                            and u.cost_per_action is not distinct from i.cost_per_action)
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
      from (select d.k from deleted d union all select n.k from inserted n
            union all select w.k from written w) x;
      exit;
    exception when unique_violation then
      if not v_plain then
        raise;
      end if;
      v_plain := false;
    end;
  end loop;

  -- Raw rows, last: their triggers take the rollups' row locks and, for a new ad, the
  -- attribution owners' lock, held to the commit; the actions go first so those are held briefly.
  with incoming as materialized (
    -- One row per (ad_id, stat_date): the last one in the array wins (ON CONFLICT may not touch
    -- a row twice in one statement).
    select distinct on (r.ad_id, r.stat_date) p_user_id as user_id,
      r.account_id, r.account_name, coalesce(r.account_currency, 'USD') as account_currency,
      r.campaign_id, r.campaign_name, r.adset_id, r.adset_name, r.ad_id, r.ad_name, r.stat_date,
      coalesce(r.spend, 0) as spend, coalesce(r.impressions, 0) as impressions,
      coalesce(r.clicks, 0) as clicks, coalesce(r.reach, 0) as reach
    from jsonb_array_elements(p_rows) with ordinality as e(item, ord)
    cross join lateral jsonb_to_record(e.item) as r(
      account_id text, account_name text, account_currency text,
      campaign_id text, campaign_name text, adset_id text, adset_name text,
      ad_id text, ad_name text, stat_date date,
      spend numeric, impressions bigint, clicks bigint, reach bigint)
    order by r.ad_id, r.stat_date, e.ord desc
  ),
  todo as (
    -- New, or changed and not older than the stored row: one probe of the unique key each.
    select i.* from incoming i
    left join lateral (
      select t.synced_at,
        (t.team_name, t.account_id, t.account_name, t.account_currency, t.campaign_id,
         t.campaign_name, t.adset_id, t.adset_name, t.ad_name, t.spend, t.impressions,
         t.clicks, t.reach)
          is not distinct from
            (v_team, i.account_id, i.account_name, i.account_currency, i.campaign_id,
             i.campaign_name, i.adset_id, i.adset_name, i.ad_name, i.spend, i.impressions,
             i.clicks, i.reach) as same
      from public.traffic_facebook_ads_raw t
      where t.user_id = i.user_id and t.ad_id = i.ad_id and t.stat_date = i.stat_date
      limit 1
    ) t on true
    where t.synced_at is null or (t.synced_at <= p_fetched_at and not t.same)
  ),
  written as (
    insert into public.traffic_facebook_ads_raw as t (
      user_id, team_name, account_id, account_name, account_currency,
      campaign_id, campaign_name, adset_id, adset_name, ad_id, ad_name, stat_date,
      spend, impressions, clicks, reach, synced_at)
    select p_user_id, v_team, i.account_id, i.account_name, i.account_currency,
      i.campaign_id, i.campaign_name, i.adset_id, i.adset_name, i.ad_id, i.ad_name, i.stat_date,
      i.spend, i.impressions, i.clicks, i.reach, p_fetched_at
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

  return (select count(distinct k)::int from unnest(v_raw || v_written) as k);
end
$$;
comment on function public.fb_upsert_insights(uuid, jsonb, timestamptz) is
  'Upserts insights rows (jsonb array of {account_id, account_name, account_currency, campaign_id, '
  'campaign_name, adset_id, adset_name, ad_id, ad_name, stat_date, spend, impressions, clicks, '
  'reach, actions?}) for p_user_id with the settings'' team_name, keyed by (user_id, ad_id, '
  'stat_date); a row''s actions array [{action_type, value, cost_per_action}] replaces that '
  'ad-day''s traffic_facebook_ad_actions (absent: left alone). Writes only what is new or '
  'differs (and is not older than the stored values), reading only the page''s own ad-days; '
  'returns how many ad-days it inserted or changed. Commits synchronously (a page reported '
  'written survives a crash).';
revoke all on function public.fb_upsert_insights(uuid, jsonb, timestamptz)
  from public, anon, authenticated;
grant execute on function public.fb_upsert_insights(uuid, jsonb, timestamptz) to service_role;
