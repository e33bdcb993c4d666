-- Messages of a disabled destination (issue 15 review): the evaluator queues nothing for a disabled
-- destination, but what was pending when it was switched off stayed pending forever and was all
-- sent at once when it was switched back on. Now, every minute (job traffic-alerts-deliver, and
-- after each evaluation), a pending message of a disabled destination older than
-- private.traffic_alert_settings.expire_disabled_after_hours (default 24) fails with the reason in
-- last_error (npm run status lists it with the failed deliveries); a message whose lease still
-- holds is left to its sender. Redefines private.traffic_alerts_deliver_due() (last defined in
-- 20261207003700_schedule_traffic_alerts.sql), keeping its behaviour after the expiry.
alter table private.traffic_alert_settings
  add column expire_disabled_after_hours int not null default 24
    check (expire_disabled_after_hours between 1 and 720);
comment on column private.traffic_alert_settings.expire_disabled_after_hours is
  'Hours after which a message still waiting for a disabled destination fails unsent.';

create or replace function private.traffic_alerts_deliver_due()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_hours int := coalesce(
    (select s.expire_disabled_after_hours from private.traffic_alert_settings s), 24);
begin
  update public.traffic_alert_outbox o
  set status = 'failed', lease_until = null,
      last_error = format('not sent: its destination was disabled and the message is older '
        'than %s hours', v_hours)
  from public.traffic_alert_destinations d
  where d.id = o.destination_id and not d.enabled
    and o.status in ('pending', 'sending')
    and (o.status = 'pending' or o.lease_until < now())
    and o.created_at < now() - make_interval(hours => v_hours);

  if exists (
    select 1 from public.traffic_alert_outbox o
    join public.traffic_alert_destinations d on d.id = o.destination_id and d.enabled
    where o.status in ('pending', 'sending') and o.next_attempt_at <= now()
      and (o.status = 'pending' or o.lease_until < now())
  ) then
    return private.invoke_function('alerts-deliver', jsonb_build_object('triggered_by', 'cron'));
  end if;
  return null;
end
$$;
comment on function private.traffic_alerts_deliver_due() is
  'Fails the messages of a disabled destination older than expire_disabled_after_hours, then '
  'invokes the alerts-deliver function (pg_net, private.invoke_function) when an outbox message '
  'is due; returns the pg_net request id, or null when nothing is due.';
revoke all on function private.traffic_alerts_deliver_due() from public, anon, authenticated;
