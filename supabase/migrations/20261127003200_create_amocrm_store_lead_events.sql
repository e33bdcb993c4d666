-- Copies the lead events of one stored body (payload.events, as normalized by the TypeScript
-- parser: leadId, action, statusId, pipelineId, price, name, responsibleUserId, createdAt,
-- updatedAt, customFields, utm{source,medium,campaign,content,term,fbclid}) into the lead-event
-- log, once per distinct event, and returns the ids of the leads it names.
--
-- It first takes a transaction-scoped advisory lock per lead, in lock-key order (the order every
-- locker uses, so two bodies never deadlock): two bodies about the same lead are then applied one
-- after the other, and the second one's rebuild sees the first one's events.
-- The per-lead lock, shared with amocrm_replay_failed(): keys in ascending order.
create or replace function private.amocrm_lock_leads(p_lead_ids bigint[])
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_key int;
begin
  -- 6385007 = 0x616d6f ('amo') namespaces the keys; hashint8 folds a lead id into the second.
  foreach v_key in array (select coalesce(array_agg(distinct hashint8(l) order by hashint8(l)),
      '{}') from unnest(p_lead_ids) l) loop
    perform pg_advisory_xact_lock(6385007, v_key);
  end loop;
end
$$;
comment on function private.amocrm_lock_leads(bigint[]) is
  'Takes the transaction-scoped advisory locks of the given AmoCRM leads, in key order.';
revoke all on function private.amocrm_lock_leads(bigint[])
  from public, anon, authenticated, service_role;

create or replace function private.amocrm_store_lead_events(p_event_id bigint, p_payload jsonb)
returns bigint[]
language plpgsql
set search_path = ''
as $$
declare
  v_lead_ids bigint[];
begin
  if jsonb_typeof(p_payload -> 'events') is distinct from 'array' then
    raise exception 'payload has no "events" array (was the body parsed?)' using errcode = '22023';
  end if;

  select coalesce(array_agg(distinct (ev ->> 'leadId')::bigint order by (ev ->> 'leadId')::bigint),
      '{}')
  into v_lead_ids
  from jsonb_array_elements(p_payload -> 'events') as ev;

  perform private.amocrm_lock_leads(v_lead_ids);

  insert into private.amocrm_lead_events (amocrm_lead_id, event_id, action, occurred_at,
    action_rank, content_hash, status_id, pipeline_id, price, name, responsible_user_id,
    lead_created_at, utm_source, utm_medium, utm_campaign, utm_content, utm_term, fbclid,
    custom_fields)
  select (ev ->> 'leadId')::bigint,
    p_event_id,
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
    ev ->> 'name',
    (ev ->> 'responsibleUserId')::bigint,
    (ev ->> 'createdAt')::timestamptz,
    ev -> 'utm' ->> 'source',
    ev -> 'utm' ->> 'medium',
    ev -> 'utm' ->> 'campaign',
    ev -> 'utm' ->> 'content',
    ev -> 'utm' ->> 'term',
    ev -> 'utm' ->> 'fbclid',
    case when jsonb_typeof(ev -> 'customFields') = 'array' then ev -> 'customFields' else '[]' end
  from jsonb_array_elements(p_payload -> 'events') as ev
  on conflict (amocrm_lead_id, content_hash) do nothing;

  return v_lead_ids;
end
$$;
comment on function private.amocrm_store_lead_events(bigint, jsonb) is
  'Locks the leads of a parsed webhook payload and adds its distinct lead events to '
  'private.amocrm_lead_events; returns the lead ids. Raises on a malformed payload.';
revoke all on function private.amocrm_store_lead_events(bigint, jsonb)
  from public, anon, authenticated, service_role;
