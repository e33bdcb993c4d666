-- Alert records (issue 15): one row per rule x subject while the condition holds (a team, a
-- campaign, an ad, a sync type, an AmoCRM account). Written only by the evaluator
-- (public.traffic_alerts_evaluate): opened once, refreshed while the condition holds (figure,
-- message), resolved when it clears; a later recurrence opens a new row. At most one open row per
-- (rule_key, subject_key): a unique partial index, so two evaluations can never open it twice.
create table public.traffic_alerts (
  id bigint generated always as identity primary key,
  rule_key text not null references public.traffic_alert_rules (rule_key) on delete cascade,
  subject_key text not null check (length(subject_key) between 1 and 300),
  user_id uuid references auth.users (id) on delete cascade,
  team_name text,
  severity text not null check (severity in ('critical', 'warning')),
  figure numeric,
  message text not null,
  details jsonb not null default '{}',
  opened_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  last_notified_at timestamptz,
  notify_count int not null default 0,
  resolved_at timestamptz,
  resolution text,
  check (resolved_at is null or resolved_at >= opened_at)
);
alter table public.traffic_alerts enable row level security;

create unique index traffic_alerts_open_key on public.traffic_alerts (rule_key, subject_key)
  where resolved_at is null;
create index traffic_alerts_user_open on public.traffic_alerts (user_id, opened_at desc)
  where resolved_at is null;
create index traffic_alerts_opened on public.traffic_alerts (opened_at desc);

comment on table public.traffic_alerts is
  'Alert records, one per rule x subject while the condition holds (opened_at, last_notified_at, '
  'resolved_at, the current figure and message). Written by traffic_alerts_evaluate() only; a '
  'targetologist reads their own team''s, an admin all (traffic-api GET /alerts).';
comment on column public.traffic_alerts.subject_key is
  'What the alert is about, e.g. user:<uuid>, campaign:<user>:<id>, sync:facebook_ads.';
comment on column public.traffic_alerts.user_id is
  'The targetologist (team) concerned; null for project-wide alerts (a sync type, AmoCRM).';
comment on column public.traffic_alerts.figure is
  'The number that tripped the rule (spend, cost per lead, count, minutes, days left).';
comment on column public.traffic_alerts.resolution is
  'Why it was resolved: cleared (the condition no longer holds) or rule_disabled.';

revoke all on table public.traffic_alerts from anon, authenticated;
grant select on table public.traffic_alerts to authenticated;
grant all on table public.traffic_alerts to service_role;
-- The identity sequence inherits the default grants too; inserts never need it.
revoke all on sequence public.traffic_alerts_id_seq from anon, authenticated;

create policy "alerts: read own team, admin reads all"
  on public.traffic_alerts for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));
comment on policy "alerts: read own team, admin reads all" on public.traffic_alerts is
  'A targetologist sees the alerts about their own team; project-wide ones (user_id null) and '
  'other teams'' only an admin.';
