-- One row per ad per day per targetologist, as fb-ads-sync reads it from the Graph API
-- (level=ad insights). Ids stay text: Facebook ids exceed 2^53.
create table public.traffic_facebook_ads_raw (
  id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  team_name text,
  account_id text not null,
  account_name text,
  campaign_id text not null,
  campaign_name text,
  adset_id text,
  adset_name text,
  ad_id text not null,
  ad_name text,
  stat_date date not null,
  spend numeric not null default 0,
  account_currency text not null default 'USD',
  impressions bigint not null default 0,
  clicks bigint not null default 0,
  reach bigint not null default 0,
  synced_at timestamptz not null default now(),
  -- Re-syncing a day is an upsert on this key: never a duplicate row.
  constraint traffic_facebook_ads_raw_user_ad_date_key unique (user_id, ad_id, stat_date)
);
alter table public.traffic_facebook_ads_raw enable row level security;

comment on table public.traffic_facebook_ads_raw is
  'Facebook Ads insights per ad per day per targetologist (seed contract). '
  'Written by fb-ads-sync (service_role); read by the owner and admins.';
comment on column public.traffic_facebook_ads_raw.spend is
  'Spend in the ad account''s currency (account_currency); converted to USD/KZT by aggregation.';

-- The unique key leads with user_id (the policy column); these serve the dashboard's filters.
create index traffic_facebook_ads_raw_user_date_idx
  on public.traffic_facebook_ads_raw (user_id, stat_date);
create index traffic_facebook_ads_raw_campaign_idx on public.traffic_facebook_ads_raw (campaign_id);
create index traffic_facebook_ads_raw_adset_idx on public.traffic_facebook_ads_raw (adset_id);
create index traffic_facebook_ads_raw_ad_idx on public.traffic_facebook_ads_raw (ad_id);

revoke all on table public.traffic_facebook_ads_raw from anon, authenticated;
grant select on table public.traffic_facebook_ads_raw to authenticated;
grant all on table public.traffic_facebook_ads_raw to service_role;
-- The identity sequence inherits the default grants too; inserts never need it.
revoke all on sequence public.traffic_facebook_ads_raw_id_seq from anon, authenticated;

create policy "facebook ads: read own, admin reads all"
  on public.traffic_facebook_ads_raw for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));
comment on policy "facebook ads: read own, admin reads all" on public.traffic_facebook_ads_raw is
  'A targetologist reads their own ads rows; an admin reads every team''s.';
