-- The alert evaluator (issue 15): each rule fires once on its condition, not otherwise, refreshes
-- while it holds, resolves when it clears; messages are queued once per destination (opened,
-- a reminder after renotify_hours, resolved); a second run adds nothing.
begin;
select plan(51);

-- pg_cron keeps running while this file does (traffic-alerts every 5 minutes, the syncs and
-- aggregate-metrics too), and at READ COMMITTED their commits would show up mid-test (a newer
-- aggregation run, an AmoCRM account's state, an alert resolved). So this transaction first holds
-- the evaluator's advisory lock (a cron evaluation waits for the rollback) and write-locks every
-- table the rules read (a concurrent writer waits; readers do not). NOWAIT in a retry loop: the
-- locks are taken all or none, so a writer holding one table and wanting another cannot deadlock
-- with us.
do $$
declare
  v_try int := 0;
begin
  perform pg_advisory_xact_lock(hashtext('traffic_alerts_evaluate'));
  loop
    begin
      lock table public.traffic_sync_history, private.amocrm_sync_state,
        public.traffic_amocrm_events, public.traffic_targetologist_settings,
        public.traffic_facebook_ads_raw, public.traffic_leads, public.traffic_aggregated_metrics,
        public.traffic_alerts, public.traffic_alert_outbox, public.traffic_alert_destinations
        in exclusive mode nowait;
      exit;
    exception when lock_not_available then
      v_try := v_try + 1;
      if v_try > 1200 then raise; end if;
      perform pg_sleep(0.05);
    end;
  end loop;
end
$$;

create temp table t_ids (name text primary key, id uuid);
insert into t_ids values ('a', tests.create_user('alert-a')), ('b', tests.create_user('alert-b'));
create function pg_temp.uid(p text) returns uuid language sql as $$ select id from t_ids where name = p $$;
create function pg_temp.only_rule(p text) returns void language sql as $$
  update public.traffic_alert_rules set enabled = (rule_key = p) $$;
create function pg_temp.open_count(p text) returns int language sql as $$
  select count(*)::int from public.traffic_alerts where rule_key = p and resolved_at is null $$;
create function pg_temp.today() returns date language sql as $$
  select (now() at time zone 'Asia/Almaty')::date $$;
create function pg_temp.local_noon(d date) returns timestamptz language sql as $$
  select (d + time '12:00') at time zone 'Asia/Almaty' $$;

-- The test stack is shared with the integration tests (and pg_cron evaluates every 5 minutes):
-- start from a quiet project, in this transaction only.
delete from public.traffic_alert_destinations;
delete from public.traffic_alerts;
update public.traffic_targetologist_settings set is_active = false;
delete from public.traffic_sync_history;
delete from private.amocrm_sync_state;
delete from public.traffic_amocrm_events where status in ('failed', 'pending');
insert into public.traffic_targetologist_settings
  (user_id, team_name, facebook_access_token, fb_ad_accounts, facebook_token_expires_at)
values (pg_temp.uid('a'), 'Alpha', 'tok-a', '{act_1}', now() + interval '60 days'),
       (pg_temp.uid('b'), 'Beta', 'tok-b', '{act_2}', now() + interval '30 days');
insert into public.exchange_rates (rate_date, currency, rate_kzt, source)
values (pg_temp.today() - 40, 'USD', 500, 'pgtap') on conflict do nothing;

-- fb_token -------------------------------------------------------------------------------------
select pg_temp.only_rule('fb_token');
select public.traffic_alerts_evaluate();
select is(pg_temp.open_count('fb_token'), 0, 'fb_token: valid tokens expiring in 30+ days fire nothing');
update public.traffic_targetologist_settings set facebook_token_status = 'invalid'
  where user_id = pg_temp.uid('a');
update public.traffic_targetologist_settings set facebook_token_expires_at = now() + interval '3 days'
  where user_id = pg_temp.uid('b');
select public.traffic_alerts_evaluate();
select public.traffic_alerts_evaluate();
select is(pg_temp.open_count('fb_token'), 2, 'fb_token: an invalid and an expiring token open one alert each, once');
select matches((select message from public.traffic_alerts where rule_key = 'fb_token'
  and user_id = pg_temp.uid('a')), '^Team Alpha: the Facebook token was rejected by Meta.*Fix: ',
  'fb_token: the message names the team, the problem and what to do');
select ok((select figure between 2 and 3 from public.traffic_alerts where rule_key = 'fb_token'
  and user_id = pg_temp.uid('b')), 'fb_token: the figure is the days left');
update public.traffic_targetologist_settings set facebook_token_status = 'ok'
  where user_id = pg_temp.uid('a');
select public.traffic_alerts_evaluate();
select is(pg_temp.open_count('fb_token'), 1, 'fb_token: a token that works again resolves its alert');
select is((select resolution from public.traffic_alerts where rule_key = 'fb_token'
  and user_id = pg_temp.uid('a')), 'cleared', 'fb_token: resolved as cleared');

-- sync_failed -----------------------------------------------------------------------------------
select pg_temp.only_rule('sync_failed');
select public.traffic_alerts_evaluate();
select is((select count(*)::int from public.traffic_alerts where rule_key = 'fb_token' and resolved_at is null), 0,
  'switching a rule off resolves its open alerts');
select is((select resolution from public.traffic_alerts where rule_key = 'fb_token'
  and user_id = pg_temp.uid('b')), 'rule_disabled', '... as rule_disabled');
insert into public.traffic_sync_history (sync_type, started_at, finished_at, success, triggered_by)
values ('aggregation', now() - interval '3 minutes', now() - interval '2 minutes', true, 'pgtap');
select public.traffic_alerts_evaluate();
select is(pg_temp.open_count('sync_failed'), 0, 'sync_failed: a successful latest run fires nothing');
insert into public.traffic_sync_history (sync_type, started_at, finished_at, success, error_message, triggered_by)
values ('aggregation', now() - interval '1 minute', now(), false, 'missing_exchange_rate: KZT', 'pgtap');
insert into public.traffic_sync_history (sync_type, started_at, user_id, triggered_by, details)
values ('facebook_ads', now() - interval '2 hours', pg_temp.uid('b'), 'pgtap', '{}');
select public.traffic_alerts_evaluate();
select public.traffic_alerts_evaluate();
select is(pg_temp.open_count('sync_failed'), 2, 'sync_failed: a failed run and a run that died open fire once each');
select matches((select message from public.traffic_alerts where subject_key = 'sync:aggregation'
  and resolved_at is null), 'missing_exchange_rate', 'sync_failed: the message carries the error');
select matches((select message from public.traffic_alerts where subject_key like 'sync:facebook_ads:%'
  and resolved_at is null), '^Team Beta: .*npm run sync -- --user', 'sync_failed: a per-user run names its team');
insert into public.traffic_sync_history (sync_type, started_at, finished_at, success, triggered_by)
values ('aggregation', now(), now(), true, 'pgtap');
select public.traffic_alerts_evaluate();
select is(pg_temp.open_count('sync_failed'), 1, 'sync_failed: a later successful run resolves it');

-- data_stale ------------------------------------------------------------------------------------
select pg_temp.only_rule('data_stale');
select public.traffic_alerts_evaluate();
select is((select count(*)::int from public.traffic_alerts where rule_key = 'data_stale'
  and subject_key like 'facebook_ads:%' and resolved_at is null), 2,
  'data_stale: targetologists with no successful Facebook sync fire');
select is((select count(*)::int from public.traffic_alerts where rule_key = 'data_stale'
  and subject_key = 'aggregation' and resolved_at is null), 0,
  'data_stale: an aggregation that succeeded now fires nothing');
insert into public.traffic_sync_history (sync_type, started_at, finished_at, success, triggered_by, details)
values ('facebook_ads', now() - interval '10 minutes', now() - interval '9 minutes', true, 'pgtap',
  jsonb_build_object('users', jsonb_build_array(
    jsonb_build_object('user_id', pg_temp.uid('a')::text, 'outcome', 'ok'),
    jsonb_build_object('user_id', pg_temp.uid('b')::text, 'outcome', 'token_invalid'))));
update public.traffic_sync_history set started_at = now() - interval '30 minutes',
  finished_at = now() - interval '25 minutes' where sync_type in ('aggregation', 'full');
insert into private.amocrm_sync_state (account, last_run_at, last_success_at)
values ('pgtap-acc', now(), now() - interval '25 minutes');
select public.traffic_alerts_evaluate();
select is((select array_agg(subject_key order by subject_key) from public.traffic_alerts
  where rule_key = 'data_stale' and resolved_at is null),
  array['aggregation', 'amocrm:pgtap-acc', 'facebook_ads:' || pg_temp.uid('b')],
  'data_stale: a synced team resolves; metrics 25 min old and AmoCRM 25 min old fire');
select is((select figure from public.traffic_alerts where rule_key = 'data_stale'
  and subject_key = 'aggregation' and resolved_at is null), 25::numeric, 'data_stale: the figure is the age in minutes');

-- webhook_events --------------------------------------------------------------------------------
select pg_temp.only_rule('webhook_events');
insert into public.traffic_amocrm_events (raw_body, body_sha256, status, received_at)
values ('pgtap fresh', 'pgtap-alert-1', 'pending', now() - interval '1 minute');
select public.traffic_alerts_evaluate();
select is(pg_temp.open_count('webhook_events'), 0, 'webhook_events: a pending event younger than 5 minutes fires nothing');
insert into public.traffic_amocrm_events (raw_body, body_sha256, status, received_at)
values ('pgtap stale', 'pgtap-alert-2', 'pending', now() - interval '6 minutes'),
       ('pgtap failed', 'pgtap-alert-3', 'failed', now() - interval '1 minute');
select public.traffic_alerts_evaluate();
select public.traffic_alerts_evaluate();
select is(pg_temp.open_count('webhook_events'), 1, 'webhook_events: failed and stale pending events open one alert');
select is((select figure from public.traffic_alerts where rule_key = 'webhook_events'
  and resolved_at is null), 2::numeric, 'webhook_events: the figure counts both');
update public.traffic_amocrm_events set status = 'processed', processed_at = now()
  where body_sha256 like 'pgtap-alert-%';
select public.traffic_alerts_evaluate();
select is(pg_temp.open_count('webhook_events'), 0, 'webhook_events: processed events resolve it');

-- amocrm_webhook_disabled ----------------------------------------------------------------------
select pg_temp.only_rule('amocrm_webhook_disabled');
update private.amocrm_sync_state set webhooks =
  '[{"destination": "https://x.example/functions/v1/amocrm-webhook", "disabled": false}]'
  where account = 'pgtap-acc';
select public.traffic_alerts_evaluate();
select is(pg_temp.open_count('amocrm_webhook_disabled'), 0, 'amocrm_webhook_disabled: enabled webhooks fire nothing');
update private.amocrm_sync_state set webhooks =
  '[{"destination": "https://x.example/functions/v1/amocrm-webhook", "disabled": true}]'
  where account = 'pgtap-acc';
select public.traffic_alerts_evaluate();
select public.traffic_alerts_evaluate();
select is(pg_temp.open_count('amocrm_webhook_disabled'), 1, 'amocrm_webhook_disabled: a disabled webhook fires once');
select matches((select message from public.traffic_alerts where rule_key = 'amocrm_webhook_disabled'
  and resolved_at is null), 're-enable them in AmoCRM', 'amocrm_webhook_disabled: says what to do');
update private.amocrm_sync_state set webhooks =
  '[{"destination": "https://x.example/functions/v1/amocrm-webhook", "disabled": false}]'
  where account = 'pgtap-acc';
select public.traffic_alerts_evaluate();
select is(pg_temp.open_count('amocrm_webhook_disabled'), 0, 'amocrm_webhook_disabled: re-enabled resolves it');

-- spend_no_leads --------------------------------------------------------------------------------
select pg_temp.only_rule('spend_no_leads');
insert into public.traffic_facebook_ads_raw
  (user_id, team_name, account_id, campaign_id, campaign_name, adset_id, ad_id, ad_name, stat_date,
   spend, account_currency)
values (pg_temp.uid('a'), 'Alpha', 'act_1', 'camp-1', 'Spring', 'set-1', 'ad-1', 'Video 1', pg_temp.today(), 80, 'USD'),
       (pg_temp.uid('a'), 'Alpha', 'act_1', 'camp-1', 'Spring', 'set-1', 'ad-2', 'Video 2', pg_temp.today(), 30, 'USD'),
       (pg_temp.uid('b'), 'Beta', 'act_2', 'camp-2', 'Cheap', 'set-2', 'ad-3', 'Video 3', pg_temp.today(), 20, 'USD');
select public.traffic_alerts_evaluate();
select public.traffic_alerts_evaluate();
select is((select array_agg(subject_key order by subject_key) from public.traffic_alerts
  where rule_key = 'spend_no_leads' and resolved_at is null),
  array['ad:' || pg_temp.uid('a') || ':ad-1', 'campaign:' || pg_temp.uid('a') || ':camp-1'],
  'spend_no_leads: the campaign ($110) and the ad ($80) over $50 with no lead fire once; $30 and $20 do not');
select is((select figure from public.traffic_alerts where rule_key = 'spend_no_leads'
  and subject_key like 'campaign:%' and resolved_at is null), 110.00, 'spend_no_leads: the figure is the spend');
select matches((select message from public.traffic_alerts where rule_key = 'spend_no_leads'
  and subject_key like 'campaign:%' and resolved_at is null),
  '^Team Alpha: campaign "Spring" \(camp-1\) spent \$110\.00 since .* with 0 CRM leads\. Fix: ',
  'spend_no_leads: the message names the team, the campaign, the spend and what to do');
insert into public.traffic_leads (amocrm_lead_id, user_id, created_at, utm_content)
values (991000001, pg_temp.uid('a'), now(), 'ad-1');
select public.traffic_alerts_evaluate();
select is(pg_temp.open_count('spend_no_leads'), 0, 'spend_no_leads: a lead attributed to the ad resolves both');

-- cpl_spike -------------------------------------------------------------------------------------
select pg_temp.only_rule('cpl_spike');
delete from public.traffic_leads where amocrm_lead_id = 991000001;
-- Beta: 7 days at $100 and 10 leads (CPL $10), today $20 + ... 4 leads today at $100 total.
insert into public.traffic_facebook_ads_raw
  (user_id, team_name, account_id, campaign_id, adset_id, ad_id, stat_date, spend, account_currency)
select pg_temp.uid('b'), 'Beta', 'act_2', 'camp-2', 'set-2', 'ad-3', pg_temp.today() - k, 100, 'USD'
from generate_series(1, 7) k;
update public.traffic_facebook_ads_raw set spend = 100 where ad_id = 'ad-3' and stat_date = pg_temp.today();
insert into public.traffic_leads (amocrm_lead_id, user_id, created_at)
select 992000000 + k * 100 + j, pg_temp.uid('b'), pg_temp.local_noon(pg_temp.today() - k)
from generate_series(1, 7) k, generate_series(1, 10) j;
insert into public.traffic_leads (amocrm_lead_id, user_id, created_at)
select 993000000 + j, pg_temp.uid('b'), now() - interval '1 second' * j from generate_series(1, 2) j;
select public.traffic_alerts_evaluate();
select is(pg_temp.open_count('cpl_spike'), 0, 'cpl_spike: fewer leads today than min_leads_today fires nothing');
insert into public.traffic_leads (amocrm_lead_id, user_id, created_at)
select 993000000 + j, pg_temp.uid('b'), now() - interval '1 second' * j from generate_series(3, 4) j;
select public.traffic_alerts_evaluate();
select public.traffic_alerts_evaluate();
select is(pg_temp.open_count('cpl_spike'), 1, 'cpl_spike: $25 per lead today against a $10 median fires once');
select is((select figure from public.traffic_alerts where rule_key = 'cpl_spike' and resolved_at is null),
  25.00, 'cpl_spike: the figure is today''s cost per lead');
select matches((select message from public.traffic_alerts where rule_key = 'cpl_spike' and resolved_at is null),
  '^Team Beta: cost per lead today is \$25\.00 \(4 leads\), 250% of its 7-day median \$10\.00',
  'cpl_spike: the message names the team, the figure and the median');
insert into public.traffic_leads (amocrm_lead_id, user_id, created_at)
select 993000000 + j, pg_temp.uid('b'), now() - interval '1 second' * j from generate_series(5, 8) j;
select public.traffic_alerts_evaluate();
select is(pg_temp.open_count('cpl_spike'), 0, 'cpl_spike: $12.50 (125%) resolves it');

-- meta_leads_gap ----------------------------------------------------------------------------------
select pg_temp.only_rule('meta_leads_gap');
delete from public.traffic_aggregated_metrics where user_id in (pg_temp.uid('a'), pg_temp.uid('b'));
insert into public.traffic_aggregated_metrics (user_id, team_name, period, period_start, period_end,
  leads, meta_leads, meta_leads_gap, meta_leads_gap_pct)
values (pg_temp.uid('a'), 'Alpha', '7d', pg_temp.today() - 6, pg_temp.today(), 25, 40, 15, 37.5),
       (pg_temp.uid('a'), 'Alpha', 'today', pg_temp.today(), pg_temp.today(), 0, 5, 5, 100),
       (pg_temp.uid('b'), 'Beta', '7d', pg_temp.today() - 6, pg_temp.today(), 5, 8, 3, 37.5);
select public.traffic_alerts_evaluate();
select public.traffic_alerts_evaluate();
select is((select array_agg(subject_key) from public.traffic_alerts
  where rule_key = 'meta_leads_gap' and resolved_at is null), array['user:' || pg_temp.uid('a')],
  'meta_leads_gap: Meta 40 vs CRM 25 over 7 days (37.5%) fires once; 8 Meta leads are below the minimum; today is not the period');
select is((select message from public.traffic_alerts where rule_key = 'meta_leads_gap' and resolved_at is null),
  'Team Alpha: Meta reports 40 leads over the last 7 days, the CRM has 25: 15 (37.5%) are missing. '
  'Fix: check that the lead forms still reach AmoCRM (the integration, the webhooks in npm run status) '
  'and that the ads'' UTM parameters carry the ad id.',
  'meta_leads_gap: the message names the team, both counts, the gap and what to do');
update public.traffic_aggregated_metrics set leads = 35, meta_leads_gap = 5, meta_leads_gap_pct = 12.5
  where user_id = pg_temp.uid('a') and period = '7d';
select public.traffic_alerts_evaluate();
select is(pg_temp.open_count('meta_leads_gap'), 0, 'meta_leads_gap: a gap of 12.5% resolves it');

-- a rule that errors keeps its alerts and the others run ------------------------------------------
update public.traffic_alert_rules set enabled = rule_key in ('cpl_spike', 'webhook_events');
update public.traffic_alert_rules set params = '{"ratio": "not a number"}' where rule_key = 'cpl_spike';
select is((public.traffic_alerts_evaluate() -> 'errors') ? 'cpl_spike', true,
  'a rule whose SQL errors is reported in the summary');
select is((public.traffic_alerts_evaluate() -> 'rules'), '["webhook_events"]'::jsonb,
  '... and the other rules still ran');
update public.traffic_alert_rules set params = '{"ratio": 1.5, "baseline_days": 7, "min_leads_today": 3}'
  where rule_key = 'cpl_spike';

-- messages: opened once, a reminder after renotify_hours, resolved; none twice ---------------------
select pg_temp.only_rule('fb_token');
update private.traffic_alert_settings set allow_loopback_http = false;
insert into public.traffic_alert_destinations (name, kind, url)
values ('ops hook', 'webhook', 'https://hooks.example.com/alerts/T0123');
insert into public.traffic_alert_destinations (name, kind, url, chat_id)
values ('ops chat', 'telegram', 'https://api.telegram.org/bot123456:ABC-def_ghi/sendMessage', '-100200300');
select public.traffic_alerts_evaluate();
select is((select count(*)::int from public.traffic_alert_outbox o join public.traffic_alerts a on a.id = o.alert_id
  where a.rule_key = 'fb_token' and o.kind = 'opened'), 2,
  'an alert opened (Beta''s expiring token, reopened) is queued once per destination');
select public.traffic_alerts_evaluate();
select is((select count(*)::int from public.traffic_alert_outbox), 2, 'a second run queues nothing');
select matches((select text from public.traffic_alert_outbox limit 1),
  '^\[CRITICAL\] Facebook token missing, invalid or expiring\nTeam Beta: the Facebook token expires in',
  'the text has the severity, the rule and the message');
select ok((select (payload ->> 'team_name') = 'Beta' and payload ? 'figure' from public.traffic_alert_outbox limit 1),
  'the JSON payload names the team and the figure');
update public.traffic_alerts set last_notified_at = now() - interval '11 hours' where rule_key = 'fb_token';
select public.traffic_alerts_evaluate();
select is((select count(*)::int from public.traffic_alert_outbox where kind = 'reminder'), 0,
  'no reminder before renotify_hours (12)');
update public.traffic_alerts set last_notified_at = now() - interval '13 hours' where rule_key = 'fb_token';
select public.traffic_alerts_evaluate();
select public.traffic_alerts_evaluate();
select is((select count(*)::int from public.traffic_alert_outbox where kind = 'reminder'), 2,
  'a reminder once renotify_hours passed, once per destination');
update public.traffic_targetologist_settings set facebook_token_expires_at = now() + interval '90 days'
  where user_id = pg_temp.uid('b');
select public.traffic_alerts_evaluate();
select public.traffic_alerts_evaluate();
select is((select count(*)::int from public.traffic_alert_outbox where kind = 'resolved'), 2,
  'resolved is announced once per destination');
select is((select count(*)::int from public.traffic_alert_outbox), 6, 'six messages in all');
select is((select count(distinct idempotency_key)::int from public.traffic_alert_outbox), 6,
  'each with its own idempotency key');
select is((select notify_count from public.traffic_alerts where rule_key = 'fb_token'
  and user_id = pg_temp.uid('b') and resolved_at is not null and notify_count > 0), 3,
  'the alert records three notices');
select is((select count(*)::int from public.traffic_alerts where rule_key = 'fb_token' and resolved_at is null), 0,
  'nothing left open');

-- a recurrence opens a new record ------------------------------------------------------------------
update public.traffic_targetologist_settings set facebook_token_status = 'invalid'
  where user_id = pg_temp.uid('b');
select public.traffic_alerts_evaluate();
select is((select count(*)::int from public.traffic_alerts where rule_key = 'fb_token'
  and user_id = pg_temp.uid('b')), 3, 'a condition that returns opens a new alert record');

select * from finish();
rollback;
