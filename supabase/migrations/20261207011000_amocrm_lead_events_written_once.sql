-- The lead-event log is written in one place (issue 16). amocrm_store_lead_events (webhook
-- bodies) and amocrm_sync_apply (API pages) each listed the same mapping of a normalized event's
-- JSON keys to private.amocrm_lead_events' columns, and the same lead-id extraction; now both call
--   * private.amocrm_event_lead_ids(events): the distinct lead ids an events array names, sorted;
--   * private.amocrm_insert_lead_events(event_id, events): the events into the log, once per
--     distinct content (on conflict do nothing); returns how many were new.
-- The JSON keys read here are the keys the TypeScript parser writes
-- (tests/integration/amocrm-payload-keys.test.ts). The name is cut at 10,000 characters for both
-- paths (the webhook parser already caps it there). Otherwise the two callers are their previous
-- definitions (20261127003200_create_amocrm_store_lead_events.sql,
-- 20261202600200_create_amocrm_sync_apply.sql).
create or replace function private.amocrm_event_lead_ids(p_events jsonb)
returns bigint[]
language sql
immutable
as $$
  select coalesce(array_agg(distinct (ev ->> 'leadId')::bigint order by (ev ->> 'leadId')::bigint),
      '{}')
  from jsonb_array_elements(p_events) as ev
$$;
comment on function private.amocrm_event_lead_ids(jsonb) is
  'The distinct AmoCRM lead ids (leadId) named by an array of normalized lead events, ascending.';
revoke all on function private.amocrm_event_lead_ids(jsonb)
  from public, anon, authenticated, service_role;

create or replace function private.amocrm_insert_lead_events(p_event_id bigint, p_events jsonb)
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
  from jsonb_array_elements(p_events) as ev
  on conflict (amocrm_lead_id, content_hash) do nothing;
  get diagnostics v_inserted = row_count;
  return v_inserted;
end
$$;
comment on function private.amocrm_insert_lead_events(bigint, jsonb) is
  'Adds an array of normalized lead events (the webhook parser''s JSON shape) to '
  'private.amocrm_lead_events, once per distinct content; p_event_id names the stored body (null '
  'for API events). Returns how many were new. The one mapping of event keys to columns.';
revoke all on function private.amocrm_insert_lead_events(bigint, jsonb)
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

  v_lead_ids := private.amocrm_event_lead_ids(p_payload -> 'events');

  perform private.amocrm_lock_leads(v_lead_ids);

  perform private.amocrm_insert_lead_events(p_event_id, p_payload -> 'events');

  return v_lead_ids;
end
$$;
comment on function private.amocrm_store_lead_events(bigint, jsonb) is
  'Locks the leads of a parsed webhook payload and adds its distinct lead events to '
  'private.amocrm_lead_events; returns the lead ids. Raises on a malformed payload.';
revoke all on function private.amocrm_store_lead_events(bigint, jsonb)
  from public, anon, authenticated, service_role;

create or replace function public.amocrm_sync_apply(p_events jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_lead_ids bigint[];
  v_inserted int;
  v_leads int := 0;
  v_sales int := 0;
  v_changed bigint[] := '{}';
  v_changed_sales bigint[] := '{}';
  v_n int;
  v_before text[];
  v_before_sales text[];
begin
  if jsonb_typeof(p_events) is distinct from 'array' then
    raise exception 'amocrm_sync_apply: p_events must be a JSON array' using errcode = '22023';
  end if;
  v_n := jsonb_array_length(p_events);
  -- The function sends one API page at a time (<= 250 leads, a synthesized add each, or 100
  -- events); anything larger is a caller bug, refused before any work.
  if v_n > 1000 then
    raise exception 'amocrm_sync_apply: at most 1000 events per call (got %)', v_n
      using errcode = '22023';
  end if;
  if exists (select 1 from jsonb_array_elements(p_events) ev
      where ev ->> 'source' is distinct from 'api'
         or coalesce(ev ->> 'leadId', '') !~ '^[0-9]{1,18}$'
         or ev ->> 'action' is null
         or ev ->> 'action' not in ('add', 'update', 'status', 'delete', 'restore')) then
    raise exception 'amocrm_sync_apply: every event needs source "api", a numeric leadId and an '
      'action of add/update/status/delete/restore' using errcode = '22023';
  end if;

  v_lead_ids := private.amocrm_event_lead_ids(p_events);
  if cardinality(v_lead_ids) = 0 then
    return jsonb_build_object('events', 0, 'inserted', 0, 'leads', 0,
      'changed_lead_ids', '[]'::jsonb, 'changed_sale_ids', '[]'::jsonb, 'leads_written', 0,
      'sales_written', 0);
  end if;

  -- The webhook path's per-lead locks, in the same key order: a webhook and a sync page about
  -- the same lead apply one after the other.
  perform private.amocrm_lock_leads(v_lead_ids);

  select array_agg(f.lead_fp order by f.amocrm_lead_id),
    array_agg(f.sale_fp order by f.amocrm_lead_id)
  into v_before, v_before_sales
  from private.amocrm_sync_fingerprints(v_lead_ids) f;

  v_inserted := private.amocrm_insert_lead_events(null, p_events);

  if v_inserted > 0 then
    v_leads := private.amocrm_rebuild_leads(v_lead_ids);
    perform private.amocrm_attribute_leads(v_lead_ids);
    v_sales := private.amocrm_rebuild_sales(v_lead_ids);
    select
      coalesce(array_agg(b.amocrm_lead_id order by b.amocrm_lead_id)
        filter (where a.lead_fp is distinct from b.lead_fp), '{}'),
      coalesce(array_agg(b.amocrm_lead_id order by b.amocrm_lead_id)
        filter (where a.sale_fp is distinct from b.sale_fp), '{}')
    into v_changed, v_changed_sales
    from unnest(v_lead_ids, v_before, v_before_sales) as b (amocrm_lead_id, lead_fp, sale_fp)
    join private.amocrm_sync_fingerprints(v_lead_ids) a using (amocrm_lead_id);
  end if;

  return jsonb_build_object('events', v_n, 'inserted', v_inserted,
    'leads', cardinality(v_lead_ids),
    'changed_lead_ids', to_jsonb(v_changed), 'changed_sale_ids', to_jsonb(v_changed_sales),
    'leads_written', v_leads, 'sales_written', v_sales);
end
$$;
comment on function public.amocrm_sync_apply(jsonb) is
  'amocrm-sync: adds API-read lead events (source "api") to private.amocrm_lead_events and '
  're-derives those leads and ledger rows with the webhook path''s functions; idempotent. '
  'Returns counts incl. changed_leads (what the webhooks had missed).';
revoke all on function public.amocrm_sync_apply(jsonb) from public, anon, authenticated;
grant execute on function public.amocrm_sync_apply(jsonb) to service_role;
