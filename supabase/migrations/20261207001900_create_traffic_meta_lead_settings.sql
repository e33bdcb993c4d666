-- Which Meta action types count as a lead, per ad account. The rule (one definition,
-- private.traffic_meta_lead_pick): per ad-day, the value of the FIRST type of the account's list
-- that Meta reported; types overlap (`lead` is Meta's total of on- and off-Facebook leads,
-- `onsite_conversion.lead_grouped` / `leadgen_grouped` both count instant-form leads), so a sum
-- would count one conversion twice. No row for an account: the default list.
create table public.traffic_meta_lead_settings (
  account_id text primary key,
  lead_action_types text[] not null,
  updated_at timestamptz not null default now(),
  updated_by uuid default auth.uid(),
  constraint traffic_meta_lead_settings_account_check check (account_id ~ '^\d{1,32}$'),
  constraint traffic_meta_lead_settings_types_check check (
    cardinality(lead_action_types) between 1 and 20
    and array_position(lead_action_types, null) is null)
);
alter table public.traffic_meta_lead_settings enable row level security;
comment on table public.traffic_meta_lead_settings is
  'Per ad account (digits, no act_): the Meta action types that count as a lead, in priority '
  'order; per ad-day the first one Meta reported is meta_leads. Absent: '
  'private.traffic_default_meta_lead_types(). Admins manage it; a targetologist reads the rows '
  'of their own ad accounts.';
comment on column public.traffic_meta_lead_settings.lead_action_types is
  'Priority list of action types (1-20, no nulls); the first present per ad-day counts, never a sum.';

create trigger traffic_meta_lead_settings_updated_at
  before update on public.traffic_meta_lead_settings
  for each row execute function private.set_updated_at();

-- Each element a plausible action type (a check constraint cannot hold a subquery).
create or replace function private.traffic_meta_lead_settings_check()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if exists (select 1 from unnest(new.lead_action_types) t
             where t !~ '^[A-Za-z0-9_.:-]{1,200}$') then
    raise exception 'lead_action_types: each entry must be an action type like "lead" or '
      '"offsite_conversion.fb_pixel_lead"' using errcode = '23514';
  end if;
  if (select count(distinct t) from unnest(new.lead_action_types) t)
     <> cardinality(new.lead_action_types) then
    raise exception 'lead_action_types: an action type is listed twice' using errcode = '23514';
  end if;
  return new;
end
$$;
comment on function private.traffic_meta_lead_settings_check() is
  'Before insert/update of traffic_meta_lead_settings: each action type well-formed, none twice.';
revoke all on function private.traffic_meta_lead_settings_check() from public, anon, authenticated;
create trigger traffic_meta_lead_settings_check
  before insert or update on public.traffic_meta_lead_settings
  for each row execute function private.traffic_meta_lead_settings_check();

create or replace function private.traffic_default_meta_lead_types()
returns text[]
language sql
immutable
parallel safe
set search_path = ''
as $$
  select array['lead', 'onsite_conversion.lead_grouped', 'leadgen_grouped',
               'offsite_conversion.fb_pixel_lead']::text[]
$$;
comment on function private.traffic_default_meta_lead_types() is
  'The lead action types of an account without traffic_meta_lead_settings, in priority order: '
  'Meta''s total `lead` first, then the instant-form totals, then pixel leads.';
revoke all on function private.traffic_default_meta_lead_types() from public, anon, authenticated;

-- Whether the caller's settings list this ad account (with or without act_).
create or replace function private.owns_ad_account(p_account_id text)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.traffic_targetologist_settings s, unnest(s.fb_ad_accounts) a
    where s.user_id = (select auth.uid())
      and regexp_replace(btrim(a), '^act_', '') = p_account_id)
$$;
comment on function private.owns_ad_account(text) is
  'True when the calling user''s settings list the ad account p_account_id (act_ prefix ignored).';
revoke all on function private.owns_ad_account(text) from public, anon;
grant execute on function private.owns_ad_account(text) to authenticated;

revoke all on table public.traffic_meta_lead_settings from anon, authenticated;
grant select, insert, update, delete on table public.traffic_meta_lead_settings to authenticated;
grant all on table public.traffic_meta_lead_settings to service_role;

create policy "meta lead settings: admin and account owner read"
  on public.traffic_meta_lead_settings for select to authenticated
  using ((select private.is_admin()) or private.owns_ad_account(account_id));
comment on policy "meta lead settings: admin and account owner read"
  on public.traffic_meta_lead_settings is
  'An admin reads every account''s lead rule; a targetologist those of their own ad accounts.';
create policy "meta lead settings: admin inserts"
  on public.traffic_meta_lead_settings for insert to authenticated
  with check ((select private.is_admin()));
comment on policy "meta lead settings: admin inserts" on public.traffic_meta_lead_settings is
  'Only an admin sets an account''s lead rule (it changes the numbers a targetologist is judged on).';
create policy "meta lead settings: admin updates"
  on public.traffic_meta_lead_settings for update to authenticated
  using ((select private.is_admin())) with check ((select private.is_admin()));
comment on policy "meta lead settings: admin updates" on public.traffic_meta_lead_settings is
  'Only an admin changes an account''s lead rule.';
create policy "meta lead settings: admin deletes"
  on public.traffic_meta_lead_settings for delete to authenticated
  using ((select private.is_admin()));
comment on policy "meta lead settings: admin deletes" on public.traffic_meta_lead_settings is
  'Only an admin removes an account''s lead rule (the default applies again).';
