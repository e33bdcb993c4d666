-- Access matrix of the alert tables (issue 15): (anon, user A, user B, admin, service_role) x
-- (select, insert, update, delete). Rules: everyone signed in reads, admins update. Alerts: a
-- targetologist reads their own team's, an admin all, only the evaluator writes. Destinations and
-- the outbox: admins only; the destination URL (it holds the bot token) is write-only for every
-- client, readable by service_role alone. The evaluator and the delivery functions are the
-- service's.
begin;
select plan(45);
select tests.create_fixture();
update private.traffic_alert_settings set allow_loopback_http = false;
delete from public.traffic_alert_destinations;
insert into public.traffic_alerts (rule_key, subject_key, user_id, team_name, severity, message)
values ('fb_token', 'pgtap:a', tests.uid('a'), 'pgtap A', 'critical', 'pgtap'),
       ('fb_token', 'pgtap:b', tests.uid('b'), 'pgtap B', 'critical', 'pgtap'),
       ('webhook_events', 'pgtap:all', null, null, 'warning', 'pgtap');
insert into public.traffic_alert_destinations (name, kind, url)
values ('pgtap hook', 'webhook', 'https://hooks.example.com/pgtap-secret-path');
insert into public.traffic_alert_outbox (alert_id, destination_id, kind, idempotency_key, text, payload)
select a.id, d.id, 'opened', 'pgtap-' || a.id, 'pgtap', '{}'
from public.traffic_alerts a cross join public.traffic_alert_destinations d
where a.message = 'pgtap';

create temp table t_project as
  select 'abcdefgh.supabase.co'::text as host;
update vault.secrets set secret = 'https://abcdefgh.supabase.co' where name = 'project_url';
grant select on t_project to authenticated;

-- anon: nothing
select tests.authenticate_as_anon();
select throws_ok($$select * from public.traffic_alert_rules$$, '42501', null, 'anon: rules denied');
select throws_ok($$select * from public.traffic_alerts$$, '42501', null, 'anon: alerts denied');
select throws_ok($$select id from public.traffic_alert_destinations$$, '42501', null, 'anon: destinations denied');
select throws_ok($$select * from public.traffic_alert_outbox$$, '42501', null, 'anon: outbox denied');

-- user A
select tests.authenticate_as(tests.uid('a'));
select is((select count(*)::int from public.traffic_alert_rules), 8, 'A: reads every rule');
select is(tests.row_count($$update public.traffic_alert_rules set enabled = false$$), 0, 'A: cannot switch a rule off');
select throws_ok($$insert into public.traffic_alert_rules (rule_key, title) values ('x_rule', 'x')$$,
  '42501', null, 'A: cannot create a rule');
select throws_ok($$delete from public.traffic_alert_rules$$, '42501', null, 'A: cannot delete a rule');
select is((select array_agg(subject_key) from public.traffic_alerts where message = 'pgtap'), array['pgtap:a'],
  'A: sees only their own team''s alert');
select throws_ok($$insert into public.traffic_alerts (rule_key, subject_key, severity, message)
  values ('fb_token', 'x', 'warning', 'x')$$, '42501', null, 'A: cannot insert an alert');
select throws_ok($$update public.traffic_alerts set resolved_at = now()$$, '42501', null, 'A: cannot resolve an alert');
select throws_ok($$delete from public.traffic_alerts$$, '42501', null, 'A: cannot delete an alert');
select is((select count(*)::int from public.traffic_alert_destinations), 0, 'A: sees no destination');
select throws_ok($$select url from public.traffic_alert_destinations$$, '42501', null, 'A: url denied');
select throws_ok($$insert into public.traffic_alert_destinations (name, kind, url)
  values ('x', 'webhook', 'https://evil.example.com/x')$$, '42501', null, 'A: cannot add a destination');
select is(tests.row_count($$update public.traffic_alert_destinations set enabled = false$$), 0,
  'A: cannot change a destination');
select is(tests.row_count($$delete from public.traffic_alert_destinations$$), 0, 'A: cannot delete a destination');
select is((select count(*)::int from public.traffic_alert_outbox), 0, 'A: sees no outbox row');
select throws_ok($$select public.traffic_alerts_evaluate()$$, '42501', null, 'A: cannot run the evaluator');
select throws_ok($$select * from public.traffic_alert_outbox_claim(1, 60)$$, '42501', null,
  'A: cannot claim messages (they carry the URL)');

-- user B
select tests.authenticate_as(tests.uid('b'));
select is((select array_agg(subject_key) from public.traffic_alerts where message = 'pgtap'), array['pgtap:b'],
  'B: sees only their own team''s alert');

-- admin
select tests.authenticate_as(tests.uid('admin'), true);
select is((select count(*)::int from public.traffic_alerts where message = 'pgtap'), 3, 'admin: sees every alert');
select throws_ok($$update public.traffic_alerts set resolved_at = now()$$, '42501', null,
  'admin: alerts are the evaluator''s to write');
select is(tests.row_count($$update public.traffic_alert_rules set renotify_hours = 3 where rule_key = 'cpl_spike'$$), 1,
  'admin: changes a rule''s repeat interval');
select throws_ok($$update public.traffic_alert_rules set renotify_hours = 0 where rule_key = 'cpl_spike'$$,
  '23514', null, 'admin: a repeat interval below 1 hour is refused in SQL');
select is((select array_agg(url_host) from public.traffic_alert_destinations), array['hooks.example.com'],
  'admin: lists destinations with their host');
select throws_ok($$select url from public.traffic_alert_destinations$$, '42501', null,
  'admin: the url is write-only even for an admin');
select lives_ok($$insert into public.traffic_alert_destinations (name, kind, url, chat_id)
  values ('ops chat', 'telegram', 'https://api.telegram.org/bot123456:AAE-secret_token/sendMessage', '-1001234')$$,
  'admin: adds a Telegram destination');
select is(tests.row_count($$update public.traffic_alert_destinations set url = 'https://hooks.example.com/rotated'
  where name = 'pgtap hook'$$), 1, 'admin: replaces a URL');
select is((select count(*)::int from public.traffic_alert_outbox), 3, 'admin: reads the outbox');
select throws_ok($$delete from public.traffic_alert_outbox$$, '42501', null, 'admin: the outbox is the service''s to write');

-- URLs an admin may not set (SSRF, plain http, the project itself), refused without echoing them
select throws_ok($$insert into public.traffic_alert_destinations (name, kind, url)
  values ('x', 'webhook', 'http://hooks.example.com/x-secret')$$, '22023',
  'alert destination refused: only https URLs are accepted', 'admin: plain http refused');
select throws_ok($$insert into public.traffic_alert_destinations (name, kind, url)
  values ('x', 'webhook', 'http://127.0.0.1:54321/functions/v1/fb-ads-sync')$$, '22023', null,
  'admin: loopback http refused unless the stack allows it');
select throws_ok($$insert into public.traffic_alert_destinations (name, kind, url)
  values ('x', 'webhook', 'https://169.254.169.254/latest/meta-data')$$, '22023',
  'alert destination refused: an IP address is not accepted as the host: use a public host name',
  'admin: an IP literal refused');
select throws_ok($$insert into public.traffic_alert_destinations (name, kind, url)
  values ('x', 'webhook', 'https://[::1]/x')$$, '22023', null, 'admin: an IPv6 literal refused');
select throws_ok($$insert into public.traffic_alert_destinations (name, kind, url)
  values ('x', 'webhook', 'https://db.internal/x')$$, '22023', null, 'admin: an internal name refused');
select throws_ok($$insert into public.traffic_alert_destinations (name, kind, url)
  values ('x', 'webhook', 'https://localhost/x')$$, '22023', null, 'admin: localhost refused');
select throws_ok($$insert into public.traffic_alert_destinations (name, kind, url)
  values ('x', 'webhook', 'https://user:pw@hooks.example.com/x')$$, '22023', null, 'admin: credentials in the URL refused');
select throws_ok($$insert into public.traffic_alert_destinations (name, kind, url, chat_id)
  values ('x', 'telegram', 'https://api.telegram.org.evil.example/bot1:x/sendMessage', '1')$$, '22023',
  'alert destination refused: a telegram destination is https://api.telegram.org/bot<token>/sendMessage',
  'admin: a telegram destination elsewhere refused');
select throws_ok($$update public.traffic_alert_destinations set url = 'https://' ||
  (select host from pg_temp.t_project) || '/functions/v1/fb-ads-sync'$$, '22023', null, 'admin: the project''s own host refused');

-- service_role: reads the URL (alerts-deliver), runs the evaluator
select tests.authenticate_as_service_role();
select is((select url from public.traffic_alert_destinations where name = 'pgtap hook'),
  'https://hooks.example.com/rotated', 'service_role: reads the url');
select lives_ok($$select public.traffic_alerts_evaluate()$$, 'service_role: runs the evaluator');
reset role;

-- a test stack allows loopback http for its fake destination; a superuser only can turn it on
update private.traffic_alert_settings set allow_loopback_http = true;
select tests.authenticate_as(tests.uid('admin'), true);
select lives_ok($$insert into public.traffic_alert_destinations (name, kind, url)
  values ('fake', 'webhook', 'http://127.0.0.1:9/hook')$$, 'loopback http allowed when the stack allows it');
select throws_ok($$insert into public.traffic_alert_destinations (name, kind, url)
  values ('x', 'webhook', 'http://10.0.0.1/x')$$, '22023', null, '... but never another plain http host');
select throws_ok($$update private.traffic_alert_settings set allow_loopback_http = true$$, '42501', null,
  'admin: cannot touch the stack setting');

select * from finish();
rollback;
