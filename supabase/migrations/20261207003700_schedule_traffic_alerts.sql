-- The alert schedules (issue 15). traffic-alerts evaluates the rules every 5 minutes in SQL (no
-- HTTP) and then, like traffic-alerts-deliver every minute, wakes the alerts-deliver function only
-- when a message is due (private.traffic_alerts_deliver_due): an idle project makes no HTTP call.
-- The commands carry no URL and no key (private.invoke_function reads both from Vault);
-- cron.schedule() with an existing name replaces the job.
create or replace function private.traffic_alerts_deliver_due()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
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
  'Invokes the alerts-deliver function (pg_net, private.invoke_function) when an outbox message '
  'is due; returns the pg_net request id, or null when nothing is due.';
revoke all on function private.traffic_alerts_deliver_due() from public, anon, authenticated;

select cron.schedule('traffic-alerts', '*/5 * * * *',
  $cron$select public.traffic_alerts_evaluate(); select private.traffic_alerts_deliver_due()$cron$);
select cron.schedule('traffic-alerts-deliver', '* * * * *',
  $cron$select private.traffic_alerts_deliver_due()$cron$);
