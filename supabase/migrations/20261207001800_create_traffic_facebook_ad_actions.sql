-- Meta's own conversions per ad-day: one row per action type of the `actions` list of a daily,
-- ad-level insights row (Ads Insights `actions`, values of the Ads Action Stats type), with the
-- matching `cost_per_action_type` entry. Written by fb_upsert_insights in the same call as the
-- raw row; what meta_leads is derived from (the rule: 20261207002000).
create table public.traffic_facebook_ad_actions (
  user_id uuid not null references auth.users (id) on delete cascade,
  ad_id text not null,
  stat_date date not null,
  action_type text not null,
  account_id text not null,
  value numeric not null,
  cost_per_action numeric,
  synced_at timestamptz not null default now(),
  primary key (user_id, ad_id, stat_date, action_type),
  constraint traffic_facebook_ad_actions_value_check check (value >= 0),
  constraint traffic_facebook_ad_actions_cost_check check (cost_per_action >= 0),
  constraint traffic_facebook_ad_actions_type_check
    check (action_type ~ '^[A-Za-z0-9_.:-]{1,200}$')
);
alter table public.traffic_facebook_ad_actions enable row level security;
comment on table public.traffic_facebook_ad_actions is
  'Meta-reported actions per ad-day and action type (Ads Insights actions / cost_per_action_type, '
  'the account''s attribution setting). Written by fb-ads-sync (fb_upsert_insights, service_role) '
  'with the raw row of the same ad-day; read by the owner and admins.';
comment on column public.traffic_facebook_ad_actions.value is
  'The action count Meta reports for this type on this ad-day (Ads Action Stats value).';
comment on column public.traffic_facebook_ad_actions.cost_per_action is
  'cost_per_action_type of this type, in the ad account''s currency; null when Meta sent none.';
comment on column public.traffic_facebook_ad_actions.synced_at is
  'When this row was fetched, first or after its last change (older fetches never overwrite it).';

-- The meta_leads rule re-reads an account's ad-days when its lead settings change.
create index traffic_facebook_ad_actions_account_idx
  on public.traffic_facebook_ad_actions (account_id);

revoke all on table public.traffic_facebook_ad_actions from anon, authenticated;
grant select on table public.traffic_facebook_ad_actions to authenticated;
grant all on table public.traffic_facebook_ad_actions to service_role;

create policy "facebook ad actions: read own, admin reads all"
  on public.traffic_facebook_ad_actions for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));
comment on policy "facebook ad actions: read own, admin reads all"
  on public.traffic_facebook_ad_actions is
  'A targetologist reads their own ad actions; an admin reads every team''s.';
