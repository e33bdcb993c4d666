-- One row per targetologist: which ad accounts, campaigns and utm_source values are theirs, and
-- the Facebook token fb-ads-sync uses. The token is write-only for clients (column privileges).
create table public.traffic_targetologist_settings (
  user_id uuid primary key references auth.users (id) on delete cascade,
  team_name text not null,
  facebook_access_token text default null,
  facebook_token_expires_at timestamptz,
  has_facebook_token boolean generated always as (facebook_access_token is not null) stored,
  fb_ad_accounts text[] not null default '{}',
  tracked_campaigns text[] not null default '{}',
  utm_sources text[] not null default '{}',
  is_active boolean not null default true,
  facebook_token_status text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table public.traffic_targetologist_settings enable row level security;

comment on table public.traffic_targetologist_settings is
  'One row per targetologist (seed contract). facebook_access_token is never readable by clients; '
  'has_facebook_token tells the dashboard whether one is set.';
comment on column public.traffic_targetologist_settings.facebook_access_token is
  'Long-lived Facebook token. Write-only for authenticated users; read by service_role only.';
comment on column public.traffic_targetologist_settings.facebook_token_status is
  'Set by fb-ads-sync (''ok'', ''invalid'', ...); reset to null when the token changes.';
comment on column public.traffic_targetologist_settings.utm_sources is
  'utm_source values that identify this targetologist''s traffic (lead attribution fallback).';

-- Privileges. Column lists are the point: authenticated may read every column but the token, and
-- write only the columns a settings form or the owner's onboarding needs. Both admins and users
-- are `authenticated`, so the admin-only columns (team_name, is_active) are guarded by a trigger.
revoke all on table public.traffic_targetologist_settings from anon, authenticated;
grant select (user_id, team_name, facebook_token_expires_at, has_facebook_token, fb_ad_accounts,
  tracked_campaigns, utm_sources, is_active, facebook_token_status, created_at, updated_at)
  on table public.traffic_targetologist_settings to authenticated;
grant insert (user_id, team_name, facebook_access_token, facebook_token_expires_at, fb_ad_accounts,
  tracked_campaigns, utm_sources, is_active)
  on table public.traffic_targetologist_settings to authenticated;
grant update (team_name, facebook_access_token, facebook_token_expires_at, fb_ad_accounts,
  tracked_campaigns, utm_sources, is_active)
  on table public.traffic_targetologist_settings to authenticated;
grant all on table public.traffic_targetologist_settings to service_role;

create policy "settings: read own, admin reads all"
  on public.traffic_targetologist_settings for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));
comment on policy "settings: read own, admin reads all" on public.traffic_targetologist_settings is
  'A targetologist sees their own row; an admin sees every team.';

create policy "settings: admin onboards"
  on public.traffic_targetologist_settings for insert to authenticated
  with check ((select private.is_admin()));
comment on policy "settings: admin onboards" on public.traffic_targetologist_settings is
  'Only an admin creates settings rows (onboarding a targetologist).';

create policy "settings: update own, admin updates all"
  on public.traffic_targetologist_settings for update to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()))
  with check (user_id = (select auth.uid()) or (select private.is_admin()));
comment on policy "settings: update own, admin updates all" on public.traffic_targetologist_settings is
  'A targetologist edits their own row (columns limited by grants and a trigger); an admin any row.';

-- Column privileges are per role, not per user: this trigger keeps team_name and is_active
-- admin-only, and clears a stale token status when a new token is written.
create or replace function private.traffic_settings_before_update()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if current_user = 'authenticated' and not private.is_admin()
     and (new.team_name is distinct from old.team_name
          or new.is_active is distinct from old.is_active) then
    raise exception 'only an admin can change team_name or is_active'
      using errcode = '42501';
  end if;
  if new.facebook_access_token is distinct from old.facebook_access_token
     and new.facebook_token_status is not distinct from old.facebook_token_status then
    new.facebook_token_status := null;
  end if;
  return new;
end
$$;
comment on function private.traffic_settings_before_update() is
  'BEFORE UPDATE on traffic_targetologist_settings: team_name/is_active are admin-only for '
  'authenticated callers; a changed token resets facebook_token_status.';
revoke all on function private.traffic_settings_before_update() from public, anon, authenticated;

create trigger guard_columns before update on public.traffic_targetologist_settings
  for each row execute function private.traffic_settings_before_update();
create trigger set_updated_at before update on public.traffic_targetologist_settings
  for each row execute function private.set_updated_at();
