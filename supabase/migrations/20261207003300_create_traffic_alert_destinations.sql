-- Where alerts are delivered (issue 15): a Telegram bot's sendMessage URL
-- (https://api.telegram.org/bot<token>/sendMessage, with chat_id) or any HTTPS endpoint taking a
-- JSON POST. The URL carries a secret (the bot token, a signed hook URL), so it is write-only for
-- clients exactly like traffic_targetologist_settings.facebook_access_token: column privileges let
-- an admin insert and update it but nobody but service_role read it; `url_host` (the host only)
-- tells the admin which destination a row is. Only admins manage destinations.
--
-- What a URL may be (checked here, in SQL, and again by alerts-deliver before each send, so a
-- hostile admin cannot point the project at itself or its network): https only; no user:password@;
-- a host name with a dot, not an IP literal, not localhost / *.local / *.internal / *.localhost,
-- not the project's own host (Vault project_url, checked first, even on a test stack); a Telegram destination must be
-- api.telegram.org/bot<token>/sendMessage with a chat_id. Plain http to a loopback address is
-- allowed only when private.traffic_alert_settings.allow_loopback_http is on (test stacks; a
-- superuser sets it, no API can).

create table private.traffic_alert_settings (
  id boolean primary key default true check (id),
  allow_loopback_http boolean not null default false,
  timezone text not null default 'Asia/Almaty',
  last_evaluated_at timestamptz,
  last_evaluation jsonb
);
insert into private.traffic_alert_settings default values;
comment on table private.traffic_alert_settings is
  'One row: allow_loopback_http (test stacks only: lets a destination be http://127.0.0.1), the '
  'time zone of the alert rules'' days, and the last evaluation''s summary (npm run status).';

create table public.traffic_alert_destinations (
  id bigint generated always as identity primary key,
  name text not null check (length(name) between 1 and 100),
  kind text not null check (kind in ('telegram', 'webhook')),
  url text not null,
  url_host text generated always as (lower(substring(url from '^[A-Za-z]+://([^/:?#@]+)'))) stored,
  chat_id text check (chat_id ~ '^(-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$'),
  enabled boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (kind <> 'telegram' or chat_id is not null)
);
alter table public.traffic_alert_destinations enable row level security;

comment on table public.traffic_alert_destinations is
  'Alert destinations: a Telegram bot sendMessage URL + chat_id, or a generic JSON webhook. url is '
  'write-only for clients (it holds the bot token); url_host shows which host it is. Admins only.';
comment on column public.traffic_alert_destinations.url is
  'The destination URL, a secret: insert/update for admins, readable by service_role only.';
comment on column public.traffic_alert_destinations.url_host is
  'The URL''s host, for display (never the path or query, which may hold a token).';
comment on column public.traffic_alert_destinations.chat_id is
  'Telegram chat id (number, or @channelusername) for kind = telegram.';

revoke all on table public.traffic_alert_destinations from anon, authenticated;
grant select (id, name, kind, url_host, chat_id, enabled, created_at, updated_at)
  on table public.traffic_alert_destinations to authenticated;
grant insert (name, kind, url, chat_id, enabled)
  on table public.traffic_alert_destinations to authenticated;
grant update (name, kind, url, chat_id, enabled)
  on table public.traffic_alert_destinations to authenticated;
grant delete on table public.traffic_alert_destinations to authenticated;
grant all on table public.traffic_alert_destinations to service_role;
-- The identity sequence inherits the default grants too; inserts never need it.
revoke all on sequence public.traffic_alert_destinations_id_seq from anon, authenticated;

create policy "alert destinations: admin reads"
  on public.traffic_alert_destinations for select to authenticated
  using ((select private.is_admin()));
comment on policy "alert destinations: admin reads" on public.traffic_alert_destinations is
  'Only an admin lists destinations (without url, by column privileges).';
create policy "alert destinations: admin inserts"
  on public.traffic_alert_destinations for insert to authenticated
  with check ((select private.is_admin()));
comment on policy "alert destinations: admin inserts" on public.traffic_alert_destinations is
  'Only an admin adds a destination.';
create policy "alert destinations: admin updates"
  on public.traffic_alert_destinations for update to authenticated
  using ((select private.is_admin())) with check ((select private.is_admin()));
comment on policy "alert destinations: admin updates" on public.traffic_alert_destinations is
  'Only an admin changes a destination.';
create policy "alert destinations: admin deletes"
  on public.traffic_alert_destinations for delete to authenticated
  using ((select private.is_admin()));
comment on policy "alert destinations: admin deletes" on public.traffic_alert_destinations is
  'Only an admin removes a destination.';

-- Why a URL is refused, or null when it is acceptable. Never echoes the URL (it holds a secret).
create or replace function private.traffic_alert_url_problem(p_url text, p_kind text)
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_m text[];
  v_scheme text;
  v_host text;
  v_path text;
  v_loopback_ok boolean;
  v_project_host text;
begin
  if p_url is null or length(p_url) > 2000 then
    return 'the URL is missing or longer than 2000 characters';
  end if;
  if p_url ~ '[[:space:][:cntrl:]\\]' then
    return 'the URL contains whitespace, control characters or a backslash';
  end if;
  -- scheme://host[:port][/path][?query], no user:password@.
  v_m := regexp_match(p_url,
    '^([A-Za-z][A-Za-z0-9+.-]*)://(\[[0-9A-Fa-f:.]+\]|[^/:?#@\[\]]+)(:[0-9]{1,5})?([/?#].*)?$');
  if v_m is null then
    return 'the URL is not of the form https://host/path (credentials in the URL are refused)';
  end if;
  v_scheme := lower(v_m[1]);
  v_host := lower(v_m[2]);
  v_path := coalesce(v_m[4], '');
  -- The project itself (Vault project_url): its host on any port, or on a loopback host (a local
  -- stack) the same port.
  select lower(substring(s.decrypted_secret from '^[A-Za-z]+://([^/?#@]+)'))
    into v_project_host from vault.decrypted_secrets s where s.name = 'project_url' limit 1;
  if v_project_host is not null and (
       (rtrim(v_host, '.') = regexp_replace(v_project_host, ':[0-9]+$', '')
        and v_host not in ('127.0.0.1', 'localhost', '[::1]'))
       or (v_host in ('127.0.0.1', 'localhost', '[::1]')
           and regexp_replace(v_project_host, ':[0-9]+$', '') in ('127.0.0.1', 'localhost', '[::1]')
           and coalesce(v_m[3], '') = coalesce(substring(v_project_host from ':[0-9]+$'), ''))) then
    return 'the project''s own URL is not accepted as an alert destination';
  end if;
  select s.allow_loopback_http into v_loopback_ok from private.traffic_alert_settings s;
  if v_scheme = 'http' and coalesce(v_loopback_ok, false)
     and v_host in ('127.0.0.1', 'localhost', '[::1]') then
    return null; -- a test stack's local fake destination
  end if;
  if v_scheme <> 'https' then
    return 'only https URLs are accepted';
  end if;
  if v_host ~ '^[0-9.]+$' or v_host like '[%' then
    return 'an IP address is not accepted as the host: use a public host name';
  end if;
  if v_host !~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+\.?$' then
    return 'the host must be a public DNS name with a dot';
  end if;
  if rtrim(v_host, '.') ~ '(^|\.)(localhost|local|internal|intranet|lan|home|corp|arpa)$' then
    return 'the host is a local or internal name';
  end if;
  if p_kind = 'telegram' and (v_host <> 'api.telegram.org'
     or v_path !~ '^/bot[0-9]+:[A-Za-z0-9_-]+/sendMessage$') then
    return 'a telegram destination is https://api.telegram.org/bot<token>/sendMessage';
  end if;
  return null;
end
$$;
comment on function private.traffic_alert_url_problem(text, text) is
  'Why an alert destination URL is refused (https only, public host name, not the project, '
  'Telegram shape), or null. Never includes the URL. Used by the destinations trigger and by '
  'traffic_alert_outbox_claim().';
revoke all on function private.traffic_alert_url_problem(text, text) from public, anon, authenticated;

create or replace function private.traffic_alert_destinations_check()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_problem text;
begin
  v_problem := private.traffic_alert_url_problem(new.url, new.kind);
  if v_problem is not null then
    raise exception 'alert destination refused: %', v_problem
      using errcode = '22023', hint = 'See README, "Alerts".';
  end if;
  return new;
end
$$;
comment on function private.traffic_alert_destinations_check() is
  'BEFORE INSERT/UPDATE on traffic_alert_destinations: refuses a URL private.'
  'traffic_alert_url_problem() refuses (22023), without echoing it.';
revoke all on function private.traffic_alert_destinations_check() from public, anon, authenticated;

create trigger check_url before insert or update of url, kind
  on public.traffic_alert_destinations
  for each row execute function private.traffic_alert_destinations_check();
create trigger set_updated_at before update on public.traffic_alert_destinations
  for each row execute function private.set_updated_at();
