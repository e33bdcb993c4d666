-- The statement triggers that keep traffic_spend_daily, private.traffic_ad_directory and
-- traffic_meta_leads_daily return at once when their statement changed no row. fb_upsert_insights
-- runs its upserts whatever the page holds, and a statement fires its statement triggers even
-- when it touches nothing (an INSERT ... ON CONFLICT DO UPDATE fires both the insert and the
-- update ones): on a re-sync, where no row changes, each page ran the spend rollup's dynamic SQL
-- (planned on every call) twice, the directory's insert twice, and their triggers in turn.
-- Otherwise the same as 20261127001600, 20261127001700 and 20261207005000.

create or replace function private.traffic_spend_daily_sync()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_new constant text := 'select n.user_id, n.stat_date, upper(n.account_currency) as cur, '
    'n.spend, n.impressions, n.clicks, n.reach, 1 as ad_rows from new_rows n';
  v_old constant text := 'select o.user_id, o.stat_date, upper(o.account_currency) as cur, '
    '-o.spend as spend, -o.impressions as impressions, -o.clicks as clicks, '
    '-o.reach as reach, -1 as ad_rows from old_rows o';
begin
  if tg_op = 'DELETE' then
    perform from old_rows limit 1;
  else
    perform from new_rows limit 1;
  end if;
  if not found then
    return null; -- the statement changed no row
  end if;
  if tg_op = 'DELETE' then
    -- Only subtracts from existing groups: when a user is deleted, the cascade has already
    -- removed their groups, and nothing may be re-created for them.
    update public.traffic_spend_daily t
    set spend = t.spend - d.spend, impressions = t.impressions - d.impressions,
      clicks = t.clicks - d.clicks, reach = t.reach - d.reach, ad_rows = t.ad_rows - d.ad_rows
    from (select o.user_id, o.stat_date, upper(o.account_currency) as cur, sum(o.spend) as spend,
            sum(o.impressions) as impressions, sum(o.clicks) as clicks, sum(o.reach) as reach,
            count(*) as ad_rows
          from old_rows o
          group by o.user_id, o.stat_date, upper(o.account_currency)) as d
    where t.user_id = d.user_id and t.stat_date = d.stat_date and t.account_currency = d.cur;
  else
    -- Transition tables are visible to EXECUTE; an update brings both new and old rows.
    execute format($sql$
      insert into public.traffic_spend_daily as t (user_id, stat_date, account_currency, spend,
        impressions, clicks, reach, ad_rows)
      select d.user_id, d.stat_date, d.cur, sum(d.spend), sum(d.impressions), sum(d.clicks),
        sum(d.reach), sum(d.ad_rows)
      from (%s) as d
      group by d.user_id, d.stat_date, d.cur
      having sum(d.spend) <> 0 or sum(d.impressions) <> 0 or sum(d.clicks) <> 0
        or sum(d.reach) <> 0 or sum(d.ad_rows) <> 0
      order by 1, 2, 3
      on conflict (user_id, stat_date, account_currency) do update set
        spend = t.spend + excluded.spend, impressions = t.impressions + excluded.impressions,
        clicks = t.clicks + excluded.clicks, reach = t.reach + excluded.reach,
        ad_rows = t.ad_rows + excluded.ad_rows
      $sql$,
      case tg_op when 'INSERT' then v_new else v_new || ' union all ' || v_old end);
  end if;
  if tg_op <> 'INSERT' then
    delete from public.traffic_spend_daily t where t.ad_rows <= 0;
  end if;
  return null;
end
$$;

create or replace function private.traffic_ad_directory_sync()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op in ('INSERT', 'UPDATE') then
    perform from new_rows limit 1;
    if not found then
      return null; -- the statement changed no row
    end if;
    insert into private.traffic_ad_directory (user_id, ad_id, adset_id, campaign_id)
    select distinct n.user_id, n.ad_id, coalesce(n.adset_id, ''), coalesce(n.campaign_id, '')
    from new_rows n
    on conflict do nothing;
  elsif tg_op = 'DELETE' then
    perform from old_rows limit 1;
    if not found then
      return null;
    end if;
    delete from private.traffic_ad_directory d
    using (select distinct o.user_id, o.ad_id, coalesce(o.adset_id, '') as adset_id,
             coalesce(o.campaign_id, '') as campaign_id
           from old_rows o) as gone
    where d.user_id = gone.user_id and d.ad_id = gone.ad_id
      and d.adset_id = gone.adset_id and d.campaign_id = gone.campaign_id
      and not exists (select 1 from public.traffic_facebook_ads_raw r
                      where r.user_id = d.user_id and r.ad_id = d.ad_id
                        and coalesce(r.adset_id, '') = d.adset_id
                        and coalesce(r.campaign_id, '') = d.campaign_id);
  end if;
  return null;
end
$$;

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
    perform from old_rows limit 1;
  else
    perform from new_rows limit 1;
  end if;
  if not found then
    return null; -- the statement changed no row
  end if;
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
