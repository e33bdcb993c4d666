-- A batch of webhook bodies writes its lead events with ONE insert (issue 11 item 1).
--
-- Before (20261207025901): private.amocrm_apply_events looped over the batch's bodies and called
-- private.amocrm_insert_lead_events(event_id, events) once per body: one plpgsql call and one
-- insert statement (planned, its triggers and ON CONFLICT set up) per body, ~0.2 ms each, the
-- largest per-body cost of a batch after the rows themselves.
--
-- Now:
--   * private.amocrm_insert_lead_events(event_ids[], events[]): the one mapping of a normalized
--     event's JSON keys to the log's columns (moved here unchanged from 20261207011000), for any
--     number of bodies: the events of body i (events[i], stored as event_ids[i]) in body order,
--     then event order, so when two bodies carry the same content the earlier body's row is
--     kept, as in the loop. Returns how many events were new.
--   * private.amocrm_insert_lead_events(event_id, events): the same for one body (amocrm-sync's
--     pages call it with a null event id), a call of the above.
--   * private.amocrm_apply_events: one call of the array form for the whole batch.
--   * private.amocrm_drain_batch: one apply call; when it raises, with p_each_alone each body
--     goes alone through amocrm_process_event (its outcome recorded), else the error is
--     re-raised (before: two branches each calling amocrm_apply_events).

create or replace function private.amocrm_insert_lead_events(
  p_event_ids bigint[],
  p_events jsonb[]
)
returns int
language plpgsql
set search_path = ''
as $$
declare
  v_inserted int;
begin
  insert into private.amocrm_lead_events (amocrm_lead_id, event_id, action, occurred_at,
    action_rank, content_hash, status_id, pipeline_id, price, name, responsible_user_id,
    lead_created_at, utm_source, utm_medium, utm_campaign, utm_content, utm_term, fbclid,
    custom_fields)
  select (ev ->> 'leadId')::bigint,
    b.event_id,
    ev ->> 'action',
    (ev ->> 'updatedAt')::timestamptz,
    case ev ->> 'action'
      when 'add' then 0 when 'update' then 1 when 'status' then 2 when 'delete' then 3
      when 'restore' then 4
    end,
    md5(ev::text),
    (ev ->> 'statusId')::bigint,
    (ev ->> 'pipelineId')::bigint,
    (ev ->> 'price')::numeric,
    left(ev ->> 'name', 10000),
    (ev ->> 'responsibleUserId')::bigint,
    (ev ->> 'createdAt')::timestamptz,
    ev -> 'utm' ->> 'source',
    ev -> 'utm' ->> 'medium',
    ev -> 'utm' ->> 'campaign',
    ev -> 'utm' ->> 'content',
    ev -> 'utm' ->> 'term',
    ev -> 'utm' ->> 'fbclid',
    case when jsonb_typeof(ev -> 'customFields') = 'array' then ev -> 'customFields' else '[]' end
  from unnest(p_event_ids, p_events) with ordinality as b (event_id, events, body_no)
  cross join lateral jsonb_array_elements(b.events) with ordinality as e (ev, event_no)
  order by b.body_no, e.event_no
  on conflict (amocrm_lead_id, content_hash) do nothing;
  get diagnostics v_inserted = row_count;
  return v_inserted;
end
$$;
comment on function private.amocrm_insert_lead_events(bigint[], jsonb[]) is
  'Adds the normalized lead events of several bodies (p_events[i], the webhook parser''s JSON '
  'shape, stored as p_event_ids[i]; null for API events) to private.amocrm_lead_events, once per '
  'distinct content, earlier bodies first. Returns how many were new. The one mapping of event '
  'keys to columns.';
revoke all on function private.amocrm_insert_lead_events(bigint[], jsonb[])
  from public, anon, authenticated, service_role;

create or replace function private.amocrm_insert_lead_events(p_event_id bigint, p_events jsonb)
returns int
language sql
set search_path = ''
as $$
  select private.amocrm_insert_lead_events(array[p_event_id], array[p_events])
$$;
comment on function private.amocrm_insert_lead_events(bigint, jsonb) is
  'Adds one array of normalized lead events to private.amocrm_lead_events (the array form of '
  'amocrm_insert_lead_events for one body); p_event_id names the stored body (null for API '
  'events). Returns how many were new.';

-- Same as 20261207025901 but for the one insert of the batch's lead events.
create or replace function private.amocrm_apply_events(p_ids bigint[])
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_lead_ids bigint[];
  v_order private.amocrm_lead_event_seq[];
  v_leads int := 0;
  v_sales int := 0;
begin
  if exists (select 1 from public.traffic_amocrm_events e
      where e.id = any (p_ids) and jsonb_typeof(e.payload -> 'events') is distinct from 'array') then
    raise exception 'payload has no "events" array (was the body parsed?)' using errcode = '22023';
  end if;

  select coalesce(array_agg(distinct l.id order by l.id), '{}') into v_lead_ids
  from public.traffic_amocrm_events e
  cross join lateral unnest(private.amocrm_event_lead_ids(e.payload -> 'events')) as l (id)
  where e.id = any (p_ids);

  perform private.amocrm_lock_leads(v_lead_ids);

  perform private.amocrm_insert_lead_events(b.ids, b.events)
  from (
    select array_agg(e.id order by e.id) as ids,
      array_agg(e.payload -> 'events' order by e.id) as events
    from public.traffic_amocrm_events e
    where e.id = any (p_ids)
  ) as b
  where b.ids is not null;

  if cardinality(v_lead_ids) > 0 then
    v_order := private.amocrm_lead_events_order(v_lead_ids);
    v_leads := private.amocrm_rebuild_leads(v_lead_ids, v_order);
    perform private.amocrm_attribute_leads(v_lead_ids);
    v_sales := private.amocrm_rebuild_sales(v_lead_ids, v_order);
  end if;

  update public.traffic_amocrm_events e
  set status = case when cardinality(private.amocrm_event_lead_ids(e.payload -> 'events')) = 0
        then 'ignored' else 'processed' end,
      error = null,
      attempts = e.attempts + 1,
      -- The moment of processing (a drain's transaction can be older than the bodies it takes):
      -- processed_at - received_at is how long a body waited.
      processed_at = clock_timestamp()
  where e.id = any (p_ids);

  return jsonb_build_object('events', cardinality(p_ids), 'leads', cardinality(v_lead_ids),
    'leads_written', v_leads, 'sales_written', v_sales);
end
$$;

-- Same signature and contract as 20261207041000; one apply call (see the header).
create or replace function private.amocrm_drain_batch(
  p_limit int,
  p_first bigint default null,
  p_each_alone boolean default true
)
returns int
language plpgsql
set search_path = ''
as $$
declare
  v_ids bigint[] := '{}';
  v_id bigint;
begin
  if p_first is not null then
    v_ids := array(select e.id from public.traffic_amocrm_events e
      where e.id = p_first and e.status in ('pending', 'failed') for update skip locked);
  end if;
  v_ids := v_ids || array(
    select e.id from public.traffic_amocrm_events e
    where e.status = 'pending' and e.id is distinct from p_first
    order by e.received_at, e.id
    limit greatest(p_limit - cardinality(v_ids), 0)
    for update skip locked);
  if cardinality(v_ids) = 0 then
    return 0;
  end if;
  begin
    perform private.amocrm_apply_events(v_ids);
  exception when others then
    if not p_each_alone then
      raise;
    end if;
    -- One bad body must not hold back the others: each alone, its outcome recorded on its row.
    foreach v_id in array v_ids loop
      perform public.amocrm_process_event(v_id);
    end loop;
  end;
  return cardinality(v_ids);
end
$$;
