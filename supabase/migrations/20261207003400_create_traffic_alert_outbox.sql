-- The alert outbox (issue 15): one row per message x destination, written by the evaluator in the
-- same transaction as the alert it announces, delivered by the alerts-deliver function. Nothing is
-- sent twice: idempotency_key is unique (alert, kind, repeat number, destination), a claimed row is
-- leased (status 'sending', lease_until) and only the holder of that attempt may settle it, and a
-- 'delivered' row is never claimed again — whatever crashes or restarts. A row whose sender died
-- mid-attempt (lease passed, no outcome) is tried again: the receiver may see that one message
-- twice, with the same idempotency key (header Idempotency-Key / field idempotency_key) to drop it.
create table public.traffic_alert_outbox (
  id bigint generated always as identity primary key,
  alert_id bigint not null references public.traffic_alerts (id) on delete cascade,
  destination_id bigint not null references public.traffic_alert_destinations (id) on delete cascade,
  kind text not null check (kind in ('opened', 'reminder', 'resolved')),
  idempotency_key text not null unique,
  text text not null,
  payload jsonb not null,
  status text not null default 'pending'
    check (status in ('pending', 'sending', 'delivered', 'failed')),
  attempts int not null default 0,
  next_attempt_at timestamptz not null default now(),
  lease_until timestamptz,
  last_status_code int,
  last_error text,
  created_at timestamptz not null default now(),
  delivered_at timestamptz,
  check (status <> 'delivered' or delivered_at is not null)
);
alter table public.traffic_alert_outbox enable row level security;

create index traffic_alert_outbox_due on public.traffic_alert_outbox (next_attempt_at)
  where status in ('pending', 'sending');
create index traffic_alert_outbox_alert on public.traffic_alert_outbox (alert_id);
create index traffic_alert_outbox_destination on public.traffic_alert_outbox (destination_id);

comment on table public.traffic_alert_outbox is
  'Alert messages per destination with their delivery state (pending, sending under a lease, '
  'delivered, failed), attempts and back-off. Written by traffic_alerts_evaluate(), delivered by '
  'alerts-deliver; admins read it.';
comment on column public.traffic_alert_outbox.idempotency_key is
  'alert-<id>-<kind>-<n>-dest-<id>: unique, sent with every attempt so a receiver can drop a repeat.';

revoke all on table public.traffic_alert_outbox from anon, authenticated;
grant select on table public.traffic_alert_outbox to authenticated;
grant all on table public.traffic_alert_outbox to service_role;
-- The identity sequence inherits the default grants too; inserts never need it.
revoke all on sequence public.traffic_alert_outbox_id_seq from anon, authenticated;

create policy "alert outbox: admin reads"
  on public.traffic_alert_outbox for select to authenticated
  using ((select private.is_admin()));
comment on policy "alert outbox: admin reads" on public.traffic_alert_outbox is
  'Only an admin sees the delivery log (it names every team).';

-- alerts-deliver: takes up to p_limit due messages (pending and due, or sending whose lease
-- passed) of enabled destinations, leases them for p_lease_seconds and counts the attempt. Returns
-- what the sender needs, including the destination URL (service_role only). A destination whose
-- URL no longer passes private.traffic_alert_url_problem() fails its messages here, unsent.
create or replace function public.traffic_alert_outbox_claim(
  p_limit int default 20,
  p_lease_seconds int default 60
)
returns table (
  id bigint,
  attempt int,
  kind text,
  destination_kind text,
  url text,
  chat_id text,
  text text,
  payload jsonb,
  idempotency_key text,
  allow_loopback_http boolean
)
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  if p_limit is null or p_limit not between 1 and 500
     or p_lease_seconds is null or p_lease_seconds not between 5 and 900 then
    raise exception 'traffic_alert_outbox_claim: p_limit 1..500, p_lease_seconds 5..900'
      using errcode = '22023';
  end if;
  update public.traffic_alert_outbox o
  set status = 'failed', lease_until = null,
      last_error = 'not sent: ' || private.traffic_alert_url_problem(d.url, d.kind)
  from public.traffic_alert_destinations d
  where d.id = o.destination_id and d.enabled
    and o.status in ('pending', 'sending') and o.next_attempt_at <= now()
    and (o.status = 'pending' or o.lease_until < now())
    and private.traffic_alert_url_problem(d.url, d.kind) is not null;
  return query
  with due as (
    select o.id from public.traffic_alert_outbox o
    join public.traffic_alert_destinations d on d.id = o.destination_id and d.enabled
    where o.status in ('pending', 'sending') and o.next_attempt_at <= now()
      and (o.status = 'pending' or o.lease_until < now())
    order by o.next_attempt_at, o.id
    limit p_limit
    for update of o skip locked
  ),
  claimed as (
    update public.traffic_alert_outbox o
    set status = 'sending', attempts = o.attempts + 1,
        lease_until = now() + make_interval(secs => p_lease_seconds)
    from due where due.id = o.id
    returning o.*
  )
  select c.id, c.attempts, c.kind, d.kind, d.url, d.chat_id, c.text, c.payload,
    c.idempotency_key, s.allow_loopback_http
  from claimed c
  join public.traffic_alert_destinations d on d.id = c.destination_id
  cross join private.traffic_alert_settings s
  order by c.id;
end
$$;
comment on function public.traffic_alert_outbox_claim(int, int) is
  'alerts-deliver: leases up to p_limit due outbox messages (attempt counted) and returns them '
  'with the destination URL. service_role only.';
revoke all on function public.traffic_alert_outbox_claim(int, int) from public, anon, authenticated;
grant execute on function public.traffic_alert_outbox_claim(int, int) to service_role;

-- alerts-deliver: the outcome of one attempt. Only the attempt that holds the lease settles the
-- row (p_attempt = attempts and status sending): a late answer from an attempt whose lease passed
-- changes nothing. Delivered is final. A retryable failure (network, 408, 429, 5xx) waits 1, 2,
-- 4 … 60 minutes (or the destination's retry_after, at most an hour) and is given up after
-- p_max_attempts; any other failure is final. p_error is stored as given (the sender redacts it).
create or replace function public.traffic_alert_outbox_settle(
  p_id bigint,
  p_attempt int,
  p_outcome text,
  p_status_code int default null,
  p_error text default null,
  p_retry_after_seconds int default null,
  p_max_attempts int default 10
)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_status text;
begin
  if p_outcome is null or p_outcome not in ('delivered', 'retry', 'failed') then
    raise exception 'traffic_alert_outbox_settle: p_outcome is delivered, retry or failed'
      using errcode = '22023';
  end if;
  update public.traffic_alert_outbox o
  set status = case
        when p_outcome = 'delivered' then 'delivered'
        when p_outcome = 'retry' and o.attempts < greatest(p_max_attempts, 1) then 'pending'
        else 'failed' end,
      delivered_at = case when p_outcome = 'delivered' then now() end,
      next_attempt_at = case when p_outcome = 'retry' then now() + least(
        case when p_retry_after_seconds is not null
          then make_interval(secs => greatest(p_retry_after_seconds, 1))
          else make_interval(mins => power(2, least(o.attempts - 1, 6))::int) end,
        interval '1 hour') else o.next_attempt_at end,
      lease_until = null,
      last_status_code = p_status_code,
      last_error = left(p_error, 1000)
  where o.id = p_id and o.status = 'sending' and o.attempts = p_attempt
  returning o.status into v_status;
  return v_status; -- null: not this attempt's to settle
end
$$;
comment on function public.traffic_alert_outbox_settle(bigint, int, text, int, text, int, int) is
  'alerts-deliver: records one attempt''s outcome (delivered / retry with back-off / failed) if '
  'that attempt still holds the lease; returns the new status or null. service_role only.';
revoke all on function public.traffic_alert_outbox_settle(bigint, int, text, int, text, int, int)
  from public, anon, authenticated;
grant execute on function public.traffic_alert_outbox_settle(bigint, int, text, int, text, int, int)
  to service_role;
