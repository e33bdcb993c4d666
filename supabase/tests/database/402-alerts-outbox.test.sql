-- The alert outbox's delivery bookkeeping (issue 15): a claimed message is leased and counted; only
-- the attempt holding the lease settles it; delivered is final and never claimed again; a
-- retryable failure backs off 1, 2, 4 … minutes (or retry_after) and is given up after the last
-- attempt; a lease that passed (the sender died) makes it claimable again; a destination whose URL
-- is no longer acceptable fails its messages unsent.
begin;
select plan(20);
update private.traffic_alert_settings set allow_loopback_http = false;
delete from public.traffic_alert_destinations;
insert into public.traffic_alerts (rule_key, subject_key, severity, message)
values ('webhook_events', 'pgtap:outbox', 'warning', 'pgtap');
insert into public.traffic_alert_destinations (name, kind, url, chat_id)
values ('chat', 'telegram', 'https://api.telegram.org/bot42:secret-token/sendMessage', '-100');
insert into public.traffic_alert_outbox (alert_id, destination_id, kind, idempotency_key, text, payload)
select a.id, d.id, k, 'pgtap-' || k, 'text ' || k, '{}'
from public.traffic_alerts a, public.traffic_alert_destinations d, unnest(array['opened', 'reminder']) k
where a.subject_key = 'pgtap:outbox';

create temp table claim1 as select * from public.traffic_alert_outbox_claim(1, 60);
select is((select count(*)::int from claim1), 1, 'claim takes at most p_limit messages');
select is((select concat_ws('|', kind, attempt, destination_kind, url, chat_id) from claim1),
  'opened|1|telegram|https://api.telegram.org/bot42:secret-token/sendMessage|-100',
  'the claim returns the oldest message, its attempt number and the destination');
select is((select count(*)::int from public.traffic_alert_outbox_claim(5, 60)), 1,
  'a leased message is not claimed again while its lease holds');
select is((select status from public.traffic_alert_outbox where idempotency_key = 'pgtap-opened'), 'sending',
  'a claimed message is sending');

select is(public.traffic_alert_outbox_settle((select id from claim1), 2, 'delivered'), null,
  'another attempt number cannot settle it');
select is(public.traffic_alert_outbox_settle((select id from claim1), 1, 'retry', 503, 'HTTP 503'), 'pending',
  'a 5xx is retried');
select ok((select next_attempt_at between now() + interval '59 seconds' and now() + interval '61 seconds'
  from public.traffic_alert_outbox where idempotency_key = 'pgtap-opened'), 'the first retry waits a minute');
select is(public.traffic_alert_outbox_settle((select id from claim1), 1, 'delivered'), null,
  'a settled attempt cannot be settled again');
select is((select count(*)::int from public.traffic_alert_outbox_claim(5, 60)), 0,
  'nothing is due before the back-off passed (the other message is leased)');

update public.traffic_alert_outbox set next_attempt_at = now() - interval '1 second', attempts = 3
  where idempotency_key = 'pgtap-opened';
create temp table claim2 as select * from public.traffic_alert_outbox_claim(5, 60);
select is((select attempt from claim2), 4, 'due again after the back-off: attempt 4');
select is(public.traffic_alert_outbox_settle((select id from claim2), 4, 'retry', 429, 'HTTP 429', 30), 'pending',
  'a 429 is retried');
select ok((select next_attempt_at between now() + interval '29 seconds' and now() + interval '31 seconds'
  from public.traffic_alert_outbox where idempotency_key = 'pgtap-opened'), '... after the retry_after it gave');

update public.traffic_alert_outbox set next_attempt_at = now() - interval '1 second'
  where idempotency_key = 'pgtap-opened';
create temp table claim3 as select * from public.traffic_alert_outbox_claim(5, 60);
select is(public.traffic_alert_outbox_settle((select id from claim3), 5, 'delivered', 200), 'delivered',
  'a 2xx is delivered');
update public.traffic_alert_outbox set next_attempt_at = now() - interval '1 hour';
select is((select count(*)::int from public.traffic_alert_outbox_claim(5, 60)), 0,
  'a delivered message is never claimed again');

-- the sender died holding the reminder: its lease passes, it is claimed again as a new attempt
update public.traffic_alert_outbox set lease_until = now() - interval '1 second'
  where idempotency_key = 'pgtap-reminder';
create temp table claim4 as select * from public.traffic_alert_outbox_claim(5, 60);
select is((select concat_ws('|', kind, attempt) from claim4), 'reminder|2',
  'a message whose lease passed is claimed again, as the next attempt');
select is(public.traffic_alert_outbox_settle((select id from claim4), 1, 'delivered'), null,
  'the dead attempt cannot settle it any more');
select is(public.traffic_alert_outbox_settle((select id from claim4), 2, 'retry', null, 'timeout', null, 2), 'failed',
  'a retryable failure at the last attempt gives up');
select is(public.traffic_alert_outbox_settle((select id from claim4), 2, 'failed'), null,
  'failed is final');

-- a URL that no longer passes the rules (e.g. the flag that allowed loopback was turned off)
update private.traffic_alert_settings set allow_loopback_http = true;
insert into public.traffic_alert_destinations (name, kind, url) values ('fake', 'webhook', 'http://127.0.0.1:9/x');
insert into public.traffic_alert_outbox (alert_id, destination_id, kind, idempotency_key, text, payload)
select a.id, d.id, 'opened', 'pgtap-loop', 'text', '{}'
from public.traffic_alerts a, public.traffic_alert_destinations d
where a.subject_key = 'pgtap:outbox' and d.name = 'fake';
update private.traffic_alert_settings set allow_loopback_http = false;
select is((select count(*)::int from public.traffic_alert_outbox_claim(5, 60)), 0, 'a refused URL is not sent');
select is((select concat_ws('|', status, last_error) from public.traffic_alert_outbox where idempotency_key = 'pgtap-loop'),
  'failed|not sent: only https URLs are accepted', '... its message fails with the reason');

select * from finish();
rollback;
