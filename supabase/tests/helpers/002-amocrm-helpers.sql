-- Helpers for the amocrm_* pgTAP files (a helper file, committed like 000-helpers.sql): lead events shaped as the
-- webhook parser normalizes them, and delivery of one body per event through
-- amocrm_ingest_event() + amocrm_process_event().
begin;

-- One normalized lead event; p_at = seconds after 2024-06-10 06:00 UTC (null: no time, as in
-- delete/restore bodies).
create or replace function tests.amo_event(p_action text, p_status int, p_price text, p_at int,
  p_pipeline bigint default 990300001)
returns jsonb
language sql
as $$
  select jsonb_strip_nulls(jsonb_build_object('action', p_action, 'statusId', p_status::text,
    'pipelineId', p_pipeline::text, 'price', p_price, 'createdAt', '2024-06-10T06:00:00.000Z',
    'updatedAt', to_char((timestamptz '2024-06-10 06:00:00+00' + make_interval(secs => p_at))
      at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS".000Z"'),
    'customFields', '[]'::jsonb, 'utm', '{"source": "fb"}'::jsonb))
$$;
comment on function tests.amo_event(text, int, text, int, bigint) is
  'A lead event as parseWebhook() normalizes it (leadId is added by amo_deliver).';

-- Stores and processes one body carrying p_event for lead p_lead; returns the process result.
create or replace function tests.amo_deliver(p_lead bigint, p_event jsonb)
returns jsonb
language plpgsql
as $$
declare
  v_payload jsonb := jsonb_build_object('account', '{}'::jsonb, 'ignored', '[]'::jsonb,
    'events', jsonb_build_array(p_event || jsonb_build_object('leadId', p_lead::text)));
  v_id bigint;
begin
  select event_id into v_id from public.amocrm_ingest_event(v_payload::text, null,
    encode(sha256(convert_to(v_payload::text, 'UTF8')), 'hex'), v_payload, null, null, 1);
  return public.amocrm_process_event(v_id);
end
$$;
comment on function tests.amo_deliver(bigint, jsonb) is
  'Ingests and processes one webhook body with p_event for lead p_lead; returns the result.';

-- Delivers p_events for p_lead one after the other, in array order; returns how many were not
-- 'processed'.
create or replace function tests.amo_deliver_all(p_lead bigint, p_events jsonb[])
returns int
language plpgsql
as $$
declare
  v_ev jsonb;
  v_bad int := 0;
begin
  foreach v_ev in array p_events loop
    if tests.amo_deliver(p_lead, v_ev) ->> 'status' <> 'processed' then
      v_bad := v_bad + 1;
    end if;
  end loop;
  return v_bad;
end
$$;
comment on function tests.amo_deliver_all(bigint, jsonb[]) is
  'amo_deliver() for each event in order; returns the number not processed.';

-- p_events in the order p_order names them (1-based, repeats allowed).
create or replace function tests.amo_pick(p_events jsonb[], p_order int[])
returns jsonb[]
language sql
as $$
  select array_agg(p_events[u.n] order by u.pos) from unnest(p_order) with ordinality u(n, pos)
$$;
comment on function tests.amo_pick(jsonb[], int[]) is 'Reorders (and repeats) events.';

-- What must not depend on delivery order: the lead's state and its ledger row, as text.
create or replace function tests.amo_state(p_lead bigint)
returns text
language sql
as $$
  select row(l.status_id, l.price, l.is_deleted, l.product, l.utm_source, l.created_at,
    l.amocrm_updated_at, s.product, s.sale_type, s.sale_amount, s.sold_at, s.status,
    s.reversed_at, s.reversal_reason)::text
  from public.traffic_leads l
  left join public.traffic_sales s on s.amocrm_lead_id = l.amocrm_lead_id
  where l.amocrm_lead_id = p_lead
$$;
comment on function tests.amo_state(bigint) is 'A lead''s row and ledger row as one text value.';

revoke all on function tests.amo_event(text, int, text, int, bigint),
  tests.amo_deliver(bigint, jsonb), tests.amo_deliver_all(bigint, jsonb[]),
  tests.amo_pick(jsonb[], int[]), tests.amo_state(bigint)
  from public, anon, authenticated, service_role;

commit;
