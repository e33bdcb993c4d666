-- Whether a lead is deleted: the LATEST delete/restore event that carries a time decides
-- (a lead deleted, restored and deleted again counted as live for good before).
--
-- Until now private.amocrm_rebuild_leads ordered the delete/restore events by
-- `occurred_at desc nulls first, action_rank desc, content_hash desc`. No delete or restore event
-- carried a time (the webhook's bodies have none, and amocrm-sync mapped the API's
-- `lead_deleted` / `lead_restored` events without their `created_at`), so only action_rank
-- decided: once a restore was seen, no later delete counted. A second delete webhook is even a
-- byte-identical body, stored once (traffic_amocrm_events.body_sha256), so it never reached the
-- log.
--
-- Now amocrm-sync maps `lead_deleted` / `lead_restored` with AmoCRM's own time (the event's
-- `created_at`, amocrm-sync/map.ts), and the order is `occurred_at desc NULLS LAST, action_rank
-- desc, content_hash desc`: an event with AmoCRM's time outranks the undated ones, and the latest
-- such event decides. Webhook-only leads (no dated event) keep the old rule: a restore outranks
-- a delete. So a delete -> restore -> delete is right after the next amocrm-sync run (every 10
-- minutes, pg_cron `amocrm-sync`), which reads the three events with their times; before that
-- run the webhooks alone say "restored", as before. The one thing that can now lag a webhook: a
-- lead whose delete reached us only through amocrm-sync (its webhook lost) and which is then
-- restored shows deleted until the next run brings the dated restore.
--
-- The function is its 20261207025900 body but for `nulls first` -> `nulls last` in is_deleted,
-- and keeps plan_cache_mode = force_generic_plan (20261207004900). The events' order for every
-- other field (private.amocrm_lead_events_in_order: nulls first) is unchanged: the dated delete
-- and restore events carry no field values.
create or replace function private.amocrm_rebuild_leads(p_lead_ids bigint[],
  p_order private.amocrm_lead_event_seq[])
returns int
language plpgsql
set search_path = ''
as $$
declare
  v_count int;
begin
  with ev as (
    select e.*, o.seq
    from unnest(p_order) o
    join private.amocrm_lead_events e on e.id = o.id
  ),
  state as (
    select ev.amocrm_lead_id,
      (array_agg(ev.pipeline_id order by ev.seq desc)
        filter (where ev.pipeline_id is not null))[1] as pipeline_id,
      (array_agg(ev.status_id order by ev.seq desc)
        filter (where ev.status_id is not null))[1] as status_id,
      (array_agg(ev.name order by ev.seq desc) filter (where ev.name is not null))[1] as name,
      (array_agg(ev.price order by ev.seq desc) filter (where ev.price is not null))[1] as price,
      (array_agg(ev.responsible_user_id order by ev.seq desc)
        filter (where ev.responsible_user_id is not null))[1] as responsible_user_id,
      (array_agg(ev.utm_source order by ev.seq desc)
        filter (where ev.utm_source is not null))[1] as utm_source,
      (array_agg(ev.utm_medium order by ev.seq desc)
        filter (where ev.utm_medium is not null))[1] as utm_medium,
      (array_agg(ev.utm_campaign order by ev.seq desc)
        filter (where ev.utm_campaign is not null))[1] as utm_campaign,
      (array_agg(ev.utm_content order by ev.seq desc)
        filter (where ev.utm_content is not null))[1] as utm_content,
      (array_agg(ev.utm_term order by ev.seq desc)
        filter (where ev.utm_term is not null))[1] as utm_term,
      (array_agg(ev.fbclid order by ev.seq desc) filter (where ev.fbclid is not null))[1] as fbclid,
      (array_agg(ev.custom_fields order by ev.seq desc)
        filter (where jsonb_array_length(ev.custom_fields) > 0))[1] as custom_fields,
      coalesce(min(ev.lead_created_at), min(ev.occurred_at), min(ev.received_at)) as created_at,
      max(ev.occurred_at) as amocrm_updated_at,
      coalesce((array_agg(ev.action
          order by ev.occurred_at desc nulls last, ev.action_rank desc, ev.content_hash desc)
        filter (where ev.action in ('delete', 'restore')))[1] = 'delete', false) as is_deleted
    from ev
    group by ev.amocrm_lead_id
  )
  insert into public.traffic_leads as l (amocrm_lead_id, pipeline_id, status_id, product, name,
    price, responsible_user_id, utm_source, utm_medium, utm_campaign, utm_content, utm_term,
    fbclid, custom_fields, created_at, amocrm_updated_at, is_deleted, user_id, attributed_by,
    attributed_at)
  select s.amocrm_lead_id, s.pipeline_id, s.status_id, p.product, s.name, s.price,
    s.responsible_user_id, s.utm_source, s.utm_medium, s.utm_campaign, s.utm_content, s.utm_term,
    s.fbclid, coalesce(s.custom_fields, '[]'), s.created_at, s.amocrm_updated_at, s.is_deleted,
    -- Used by the insert only: the update below never sets these three.
    r.user_id, r.attributed_by, case when r.user_id is not null then now() end
  from state s
  left join public.traffic_amocrm_pipelines p on p.pipeline_id = s.pipeline_id
  -- The rule's answer only where it has one (as amocrm_attribute_leads: unmatched stays null).
  left join lateral (
    select a.user_id, a.attributed_by
    from private.traffic_attribution_rule(s.utm_content, s.utm_term, s.utm_campaign,
      s.utm_source) as a
    where a.user_id is not null
  ) as r on true
  on conflict (amocrm_lead_id) do update
    set pipeline_id = excluded.pipeline_id,
        status_id = excluded.status_id,
        product = excluded.product,
        name = excluded.name,
        price = excluded.price,
        responsible_user_id = excluded.responsible_user_id,
        utm_source = excluded.utm_source,
        utm_medium = excluded.utm_medium,
        utm_campaign = excluded.utm_campaign,
        utm_content = excluded.utm_content,
        utm_term = excluded.utm_term,
        fbclid = excluded.fbclid,
        custom_fields = excluded.custom_fields,
        created_at = excluded.created_at,
        amocrm_updated_at = excluded.amocrm_updated_at,
        is_deleted = excluded.is_deleted
    where coalesce(excluded.amocrm_updated_at, '-infinity')
        >= coalesce(l.amocrm_updated_at, '-infinity')
      and (l.pipeline_id, l.status_id, l.product, l.name, l.price, l.responsible_user_id,
        l.utm_source, l.utm_medium, l.utm_campaign, l.utm_content, l.utm_term, l.fbclid,
        l.custom_fields, l.created_at, l.amocrm_updated_at, l.is_deleted)
      is distinct from (excluded.pipeline_id, excluded.status_id, excluded.product,
        excluded.name, excluded.price, excluded.responsible_user_id, excluded.utm_source,
        excluded.utm_medium, excluded.utm_campaign, excluded.utm_content, excluded.utm_term,
        excluded.fbclid, excluded.custom_fields, excluded.created_at, excluded.amocrm_updated_at,
        excluded.is_deleted);
  get diagnostics v_count = row_count;
  return v_count;
end
$$;
comment on function private.amocrm_rebuild_leads(bigint[], private.amocrm_lead_event_seq[]) is
  'Derives the traffic_leads rows of the given AmoCRM leads from private.amocrm_lead_events in '
  'the order p_order gives (private.amocrm_lead_events_order; latest value per field; a new '
  'lead is inserted attributed by private.traffic_attribution_rule); is_deleted from the latest '
  'delete/restore event with AmoCRM''s time, else (webhook events only) a restore outranks a '
  'delete; returns how many rows were written.';
revoke all on function private.amocrm_rebuild_leads(bigint[], private.amocrm_lead_event_seq[])
  from public, anon, authenticated, service_role;
alter function private.amocrm_rebuild_leads(bigint[], private.amocrm_lead_event_seq[])
  set plan_cache_mode = force_generic_plan;
