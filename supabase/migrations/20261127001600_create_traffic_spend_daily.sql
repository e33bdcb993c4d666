-- Spend and delivery per targetologist, day and account currency: the daily rollup of
-- traffic_facebook_ads_raw that the metrics read (one row per user-day instead of one per
-- ad-day). Statement triggers on the raw table apply every insert, update and delete as exact
-- numeric deltas, so it always equals `select … group by user_id, stat_date, currency` of raw.
create table public.traffic_spend_daily (
  user_id uuid not null references auth.users (id) on delete cascade,
  stat_date date not null,
  account_currency text not null,
  spend numeric not null default 0,
  impressions bigint not null default 0,
  clicks bigint not null default 0,
  reach bigint not null default 0,
  ad_rows int not null default 0,
  primary key (user_id, stat_date, account_currency)
);
alter table public.traffic_spend_daily enable row level security;
comment on table public.traffic_spend_daily is
  'Daily rollup of traffic_facebook_ads_raw per (user_id, stat_date, upper(account_currency)): '
  'sums of spend (account currency), impressions, clicks, reach and the number of ad rows. '
  'Maintained by triggers on the raw table; read by the metrics functions and the dashboard.';
create index traffic_spend_daily_stat_date_idx on public.traffic_spend_daily (stat_date);

revoke all on table public.traffic_spend_daily from anon, authenticated;
grant select on table public.traffic_spend_daily to authenticated;
grant select on table public.traffic_spend_daily to service_role;

create policy "spend daily: read own, admin reads all"
  on public.traffic_spend_daily for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));
comment on policy "spend daily: read own, admin reads all" on public.traffic_spend_daily is
  'A targetologist reads their own daily spend; an admin reads every team''s.';

-- Emptied groups are found through this (normally empty) partial index.
create index traffic_spend_daily_empty_idx on public.traffic_spend_daily (user_id)
  where ad_rows <= 0;

-- Adds the statement's new rows and subtracts its old ones, grouped; emptied groups go away.
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
comment on function private.traffic_spend_daily_sync() is
  'Statement trigger of traffic_facebook_ads_raw: applies the statement''s rows to '
  'traffic_spend_daily as deltas (new rows added, old rows subtracted).';
revoke all on function private.traffic_spend_daily_sync() from public, anon, authenticated;

create trigger spend_daily_insert after insert on public.traffic_facebook_ads_raw
  referencing new table as new_rows
  for each statement execute function private.traffic_spend_daily_sync();
create trigger spend_daily_update after update on public.traffic_facebook_ads_raw
  referencing old table as old_rows new table as new_rows
  for each statement execute function private.traffic_spend_daily_sync();
create trigger spend_daily_delete after delete on public.traffic_facebook_ads_raw
  referencing old table as old_rows
  for each statement execute function private.traffic_spend_daily_sync();

create or replace function private.traffic_spend_daily_truncate()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from public.traffic_spend_daily;
  return null;
end
$$;
comment on function private.traffic_spend_daily_truncate() is
  'TRUNCATE trigger of traffic_facebook_ads_raw: empties traffic_spend_daily.';
revoke all on function private.traffic_spend_daily_truncate() from public, anon, authenticated;
create trigger spend_daily_truncate after truncate on public.traffic_facebook_ads_raw
  for each statement execute function private.traffic_spend_daily_truncate();

-- Rows that exist before this migration.
insert into public.traffic_spend_daily (user_id, stat_date, account_currency, spend,
  impressions, clicks, reach, ad_rows)
select r.user_id, r.stat_date, upper(r.account_currency), sum(r.spend), sum(r.impressions),
  sum(r.clicks), sum(r.reach), count(*)
from public.traffic_facebook_ads_raw r
group by r.user_id, r.stat_date, upper(r.account_currency);
