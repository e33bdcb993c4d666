-- Feeds what amocrm-sync read from the AmoCRM API into the SAME lead-event log the webhooks feed
-- (private.amocrm_lead_events), then derives the named leads, their attribution and their ledger
-- rows again with the webhook path's own functions (amocrm_rebuild_leads, amocrm_attribute_leads,
-- amocrm_rebuild_sales). A lead seen by a webhook and by the API is therefore one lead with one
-- ledger row, and because the state is a function of the set of events, re-reading the same API
-- data inserts nothing and changes nothing.
--
-- p_events: a JSON array of normalized lead events, the webhook parser's shape (leadId, action,
-- updatedAt, statusId, pipelineId, price, name, responsibleUserId, createdAt, customFields, utm)
-- plus "source": "api" and "ref" (the AmoCRM event id or the lead snapshot's updated_at), so an
-- API event never merges with a webhook's by content, only by the derived state.
--
-- Returns {events, inserted, leads, changed_lead_ids, changed_sale_ids, leads_written,
-- sales_written}: the leads whose visible traffic_leads row / traffic_sales row this call
-- changed, i.e. what the webhooks had not delivered (leads_written / sales_written are the rows
-- the rebuild functions wrote, bookkeeping columns included).
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

  select coalesce(array_agg(distinct (ev ->> 'leadId')::bigint order by (ev ->> 'leadId')::bigint),
      '{}')
  into v_lead_ids
  from jsonb_array_elements(p_events) ev;
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

  insert into private.amocrm_lead_events (amocrm_lead_id, event_id, action, occurred_at,
    action_rank, content_hash, status_id, pipeline_id, price, name, responsible_user_id,
    lead_created_at, utm_source, utm_medium, utm_campaign, utm_content, utm_term, fbclid,
    custom_fields)
  select (ev ->> 'leadId')::bigint,
    null,
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
  from jsonb_array_elements(p_events) ev
  on conflict (amocrm_lead_id, content_hash) do nothing;
  get diagnostics v_inserted = row_count;

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
