-- Which targetologist runs which ad, adset and campaign: the distinct (user, ad, adset, campaign)
-- combinations of traffic_facebook_ads_raw, kept current by statement triggers so attribution
-- reads ~one row per ad instead of scanning every ad-day row on each run.
create table private.traffic_ad_directory (
  user_id uuid not null references auth.users (id) on delete cascade,
  ad_id text not null,
  adset_id text not null default '',
  campaign_id text not null default '',
  primary key (user_id, ad_id, adset_id, campaign_id)
);
alter table private.traffic_ad_directory enable row level security;
comment on table private.traffic_ad_directory is
  'Distinct (user_id, ad_id, adset_id, campaign_id) of traffic_facebook_ads_raw (missing adset or '
  'campaign = ''''), maintained by triggers; read by traffic_resolve_attribution(). No client '
  'access.';
revoke all on table private.traffic_ad_directory from public, anon, authenticated, service_role;

-- Inserted and updated raw rows add their combinations; deleted rows remove combinations no raw
-- row has any more. (An update that moves an ad to another adset or campaign, which Facebook does
-- not do, leaves the old combination until its last raw row is deleted.)
create or replace function private.traffic_ad_directory_sync()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op in ('INSERT', 'UPDATE') then
    insert into private.traffic_ad_directory (user_id, ad_id, adset_id, campaign_id)
    select distinct n.user_id, n.ad_id, coalesce(n.adset_id, ''), coalesce(n.campaign_id, '')
    from new_rows n
    on conflict do nothing;
  elsif tg_op = 'DELETE' then
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
comment on function private.traffic_ad_directory_sync() is
  'Statement trigger of traffic_facebook_ads_raw: keeps private.traffic_ad_directory equal to the '
  'distinct (user, ad, adset, campaign) of the raw rows.';
revoke all on function private.traffic_ad_directory_sync() from public, anon, authenticated;

create trigger ad_directory_insert after insert on public.traffic_facebook_ads_raw
  referencing new table as new_rows
  for each statement execute function private.traffic_ad_directory_sync();
create trigger ad_directory_update after update on public.traffic_facebook_ads_raw
  referencing new table as new_rows
  for each statement execute function private.traffic_ad_directory_sync();
create trigger ad_directory_delete after delete on public.traffic_facebook_ads_raw
  referencing old table as old_rows
  for each statement execute function private.traffic_ad_directory_sync();

create or replace function private.traffic_ad_directory_truncate()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from private.traffic_ad_directory;
  return null;
end
$$;
comment on function private.traffic_ad_directory_truncate() is
  'TRUNCATE trigger of traffic_facebook_ads_raw: empties private.traffic_ad_directory.';
revoke all on function private.traffic_ad_directory_truncate() from public, anon, authenticated;
create trigger ad_directory_truncate after truncate on public.traffic_facebook_ads_raw
  for each statement execute function private.traffic_ad_directory_truncate();

-- Rows that exist before this migration.
insert into private.traffic_ad_directory (user_id, ad_id, adset_id, campaign_id)
select distinct r.user_id, r.ad_id, coalesce(r.adset_id, ''), coalesce(r.campaign_id, '')
from public.traffic_facebook_ads_raw r
on conflict do nothing;
