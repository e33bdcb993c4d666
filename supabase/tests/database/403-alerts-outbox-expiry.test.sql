-- Messages of a disabled destination (issue 15 review): older than expire_disabled_after_hours they
-- fail unsent with the reason, so switching the destination back on does not flood it; younger
-- ones, ones whose lease holds, and those of enabled destinations are left alone.
begin;
select plan(7);
update private.traffic_alert_settings set allow_loopback_http = false, expire_disabled_after_hours = 24;
delete from public.traffic_alert_destinations;
insert into public.traffic_alerts (rule_key, subject_key, severity, message)
values ('webhook_events', 'pgtap:expiry', 'warning', 'pgtap');
insert into public.traffic_alert_destinations (name, kind, url, enabled)
values ('off', 'webhook', 'https://hooks.example.com/off', false),
       ('on', 'webhook', 'https://hooks.example.com/on', true);
-- 'on' has nothing due (its message waits for a back-off), so no function is invoked.
insert into public.traffic_alert_outbox (alert_id, destination_id, kind, idempotency_key, text, payload,
  status, lease_until, created_at, next_attempt_at)
select a.id, d.id, 'opened', 'pgtap-' || x.key, 'text', '{}', x.status, x.lease, now() - x.age,
  now() + interval '1 hour'
from public.traffic_alerts a, public.traffic_alert_destinations d,
  (values ('off', 'old', 'pending', null::timestamptz, interval '25 hours'),
          ('off', 'young', 'pending', null, interval '23 hours'),
          ('off', 'leased', 'sending', now() + interval '1 minute', interval '30 hours'),
          ('off', 'lease-passed', 'sending', now() - interval '1 minute', interval '30 hours'),
          ('on', 'enabled-old', 'pending', null, interval '30 hours'))
    as x(dest, key, status, lease, age)
where a.subject_key = 'pgtap:expiry' and d.name = x.dest;

select is(private.traffic_alerts_deliver_due(), null::bigint, 'nothing due for an enabled destination: no call');
select is((select concat_ws('|', status, last_error) from public.traffic_alert_outbox where idempotency_key = 'pgtap-old'),
  'failed|not sent: its destination was disabled and the message is older than 24 hours',
  'a message of a disabled destination older than 24 hours fails unsent, with the reason');
select is((select status from public.traffic_alert_outbox where idempotency_key = 'pgtap-lease-passed'), 'failed',
  '... also one whose sender died (lease passed)');
select is((select status from public.traffic_alert_outbox where idempotency_key = 'pgtap-young'), 'pending',
  'a younger one waits (it is sent if the destination comes back within the hours)');
select is((select status from public.traffic_alert_outbox where idempotency_key = 'pgtap-leased'), 'sending',
  'one whose lease holds is left to its sender');
select is((select status from public.traffic_alert_outbox where idempotency_key = 'pgtap-enabled-old'), 'pending',
  'an enabled destination''s message is never expired');

-- switched back on: only the young message is left to send
update public.traffic_alert_destinations set enabled = true where name = 'off';
update public.traffic_alert_outbox set next_attempt_at = now() - interval '1 second';
select is((select array_agg(idempotency_key order by idempotency_key) from public.traffic_alert_outbox_claim(10, 60)),
  array['pgtap-enabled-old', 'pgtap-young'], 're-enabled: the expired messages are not claimed');

select * from finish();
rollback;
