-- Who fb-ads-sync syncs: active targetologists with at least one ad account, with their token.
-- The token makes this service-only (service_role can read the column anyway; clients cannot).
create or replace function public.fb_sync_targets(p_user_id uuid default null)
returns table (
  user_id uuid,
  team_name text,
  access_token text,
  token_status text,
  ad_accounts text[],
  tracked_campaigns text[]
)
language sql
stable
security definer
set search_path = ''
as $$
  select s.user_id, s.team_name, s.facebook_access_token, s.facebook_token_status,
    s.fb_ad_accounts, s.tracked_campaigns
  from public.traffic_targetologist_settings s
  where s.is_active
    and cardinality(s.fb_ad_accounts) > 0
    and (p_user_id is null or s.user_id = p_user_id)
  order by s.team_name, s.user_id
$$;
comment on function public.fb_sync_targets(uuid) is
  'Active targetologists with ad accounts (one when p_user_id is given): user_id, team_name, '
  'access_token (their own, or null), token_status, ad_accounts, tracked_campaigns. service_role only.';
revoke all on function public.fb_sync_targets(uuid) from public, anon, authenticated;
grant execute on function public.fb_sync_targets(uuid) to service_role;
