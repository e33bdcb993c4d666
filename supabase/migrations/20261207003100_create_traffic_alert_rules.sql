-- Alert rules (issue 15): what the evaluator (public.traffic_alerts_evaluate, pg_cron) checks, with
-- the thresholds as data. One row per rule; the rule's SQL is in private.traffic_alert_rule_candidates
-- and reads its thresholds from `params`. Admins change thresholds, switch rules off, and choose
-- how often an open alert is repeated (`renotify_hours`); everyone signed in may read the rules
-- (they explain the alerts a targetologist sees). Defaults are seeded below.
create table public.traffic_alert_rules (
  rule_key text primary key
    check (rule_key ~ '^[a-z][a-z0-9_]{1,62}$'),
  title text not null check (length(title) between 1 and 200),
  severity text not null default 'warning' check (severity in ('critical', 'warning')),
  enabled boolean not null default true,
  params jsonb not null default '{}' check (jsonb_typeof(params) = 'object'),
  renotify_hours int not null default 6 check (renotify_hours between 1 and 720),
  notify_resolved boolean not null default true,
  description text not null default '',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table public.traffic_alert_rules enable row level security;

comment on table public.traffic_alert_rules is
  'Alert rules checked by public.traffic_alerts_evaluate() (pg_cron job traffic-alerts): '
  'thresholds in params, repeat interval renotify_hours. Admins manage them; everyone signed in '
  'reads them.';
comment on column public.traffic_alert_rules.params is
  'Thresholds of the rule (see README "Alerts"), e.g. {"min_spend_usd": 50, "hours": 24}.';
comment on column public.traffic_alert_rules.renotify_hours is
  'An alert still open is sent again at most every renotify_hours hours.';
comment on column public.traffic_alert_rules.notify_resolved is
  'Whether a "resolved" message is sent when the condition clears.';

revoke all on table public.traffic_alert_rules from anon, authenticated;
grant select on table public.traffic_alert_rules to authenticated;
grant update (title, severity, enabled, params, renotify_hours, notify_resolved, description)
  on table public.traffic_alert_rules to authenticated;
grant all on table public.traffic_alert_rules to service_role;

create policy "alert rules: everyone signed in reads"
  on public.traffic_alert_rules for select to authenticated
  using ((select auth.uid()) is not null);
comment on policy "alert rules: everyone signed in reads" on public.traffic_alert_rules is
  'Rules hold no secret and explain the alerts a targetologist sees.';

create policy "alert rules: admin updates"
  on public.traffic_alert_rules for update to authenticated
  using ((select private.is_admin())) with check ((select private.is_admin()));
comment on policy "alert rules: admin updates" on public.traffic_alert_rules is
  'Only an admin changes thresholds, switches a rule off or changes its repeat interval. Rules '
  'are created by migrations (each needs its SQL), so there is no insert or delete policy.';

create trigger set_updated_at before update on public.traffic_alert_rules
  for each row execute function private.set_updated_at();

-- The defaults. Schedules: fb-ads-sync hourly, aggregate-metrics and amocrm-sync every 10
-- minutes; "stale" is twice that.
insert into public.traffic_alert_rules
  (rule_key, title, severity, params, renotify_hours, description)
values
  ('fb_token', 'Facebook token missing, invalid or expiring', 'critical',
   '{"expires_within_days": 7}', 12,
   'An active targetologist with ad accounts whose Facebook token is missing, was rejected by '
   'Meta, or expires within expires_within_days days.'),
  ('sync_failed', 'A sync run failed', 'critical', '{}', 6,
   'The latest run of a sync type (traffic_latest_sync_runs: facebook_ads, aggregation, full, '
   'amocrm) failed, or died before recording its outcome.'),
  ('data_stale', 'Data older than twice its schedule', 'warning',
   '{"facebook_ads_minutes": 120, "aggregation_minutes": 20, "amocrm_minutes": 20}', 6,
   'Facebook data of a targetologist not synced successfully for facebook_ads_minutes; metrics not '
   'recomputed for aggregation_minutes; the AmoCRM reconciliation not successful for '
   'amocrm_minutes.'),
  ('webhook_events', 'AmoCRM webhook events failed or stuck', 'warning', '{}', 6,
   'Stored AmoCRM webhook events that failed processing, or stayed pending longer than '
   'private.amocrm_stale_pending_age() (5 minutes).'),
  ('amocrm_webhook_disabled', 'AmoCRM webhook disabled', 'critical', '{}', 12,
   'AmoCRM reports one of the account''s webhook subscriptions as disabled (amocrm-sync checks '
   'them every run).'),
  ('spend_no_leads', 'Spend without CRM leads', 'warning',
   '{"min_spend_usd": 50, "hours": 24, "levels": ["campaign", "ad"]}', 12,
   'A campaign or ad spent more than min_spend_usd USD with no CRM lead attributed to it over the '
   'local days covering the last `hours` hours (Meta reports spend per day).'),
  ('cpl_spike', 'Cost per lead above its 7-day median', 'warning',
   '{"ratio": 1.5, "baseline_days": 7, "min_leads_today": 3}', 12,
   'Today''s cost per CRM lead of a targetologist exceeds ratio x the median of the daily cost per '
   'lead over the previous baseline_days days (days with leads); only once today has '
   'min_leads_today leads.'),
  ('meta_leads_gap', 'Meta leads missing from the CRM', 'warning',
   '{"gap_pct": 20, "period": "7d", "min_meta_leads": 10}', 24,
   'Meta reports more leads than the CRM received for a targetologist over period (today, 7d or '
   '30d: traffic_aggregated_metrics): meta_leads_gap_pct above gap_pct, once Meta counts '
   'min_meta_leads leads.');
