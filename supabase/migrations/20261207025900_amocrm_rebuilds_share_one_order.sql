-- The order of a lead's events is computed ONCE per processing (issue 16). amocrm_rebuild_leads
-- and amocrm_rebuild_sales both read private.amocrm_lead_events_in_order, each computing the same
-- window over the leads' events. Now the caller computes it once,
-- private.amocrm_lead_events_order(lead_ids) -> an array of (event id, lead id, seq), and passes
-- it to both rebuilds, which read it with unnest (a primary-key join back to each event, as
-- before). amocrm_rebuild_sales cannot take it from amocrm_rebuild_leads' statement itself: the
-- two are separate statements with amocrm_attribute_leads between them (the ledger row copies
-- the lead's attribution), and a data-modifying CTE's rows are not visible to a later statement.
-- The callers are amocrm_sync_apply (below) and private.amocrm_apply_events (the webhook path,
-- 20261207025901). The one-argument rebuilds are dropped: one way in. Bodies are otherwise the
-- previous definitions (20261207001700_amocrm_lead_events_in_order.sql,
-- 20261207011000_amocrm_lead_events_written_once.sql), and both keep
-- plan_cache_mode = force_generic_plan (20261207004900).
create type private.amocrm_lead_event_seq as (id bigint, amocrm_lead_id bigint, seq bigint);
comment on type private.amocrm_lead_event_seq is
  'One lead event''s place in its lead''s order: private.amocrm_lead_events_in_order''s row.';

create or replace function private.amocrm_lead_events_order(p_lead_ids bigint[])
returns private.amocrm_lead_event_seq[]
language sql
stable
set search_path = ''
as $$
  select coalesce(array_agg((o.id, o.amocrm_lead_id, o.seq)::private.amocrm_lead_event_seq), '{}')
  from private.amocrm_lead_events_in_order(p_lead_ids) o
$$;
comment on function private.amocrm_lead_events_order(bigint[]) is
  'private.amocrm_lead_events_in_order of the given leads as one array, computed once and passed '
  'to amocrm_rebuild_leads and amocrm_rebuild_sales.';
revoke all on function private.amocrm_lead_events_order(bigint[])
  from public, anon, authenticated, service_role;

drop function private.amocrm_rebuild_leads(bigint[]);
drop function private.amocrm_rebuild_sales(bigint[]);

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
          order by ev.occurred_at desc nulls first, ev.action_rank desc, ev.content_hash desc)
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
  'the order p_order gives (private.amocrm_lead_events_order; latest value per field; a new lead is inserted attributed by '
  'private.traffic_attribution_rule); returns how many rows were written.';
revoke all on function private.amocrm_rebuild_leads(bigint[], private.amocrm_lead_event_seq[])
  from public, anon, authenticated, service_role;

create or replace function private.amocrm_rebuild_sales(p_lead_ids bigint[],
  p_order private.amocrm_lead_event_seq[])
returns int
language plpgsql
set search_path = ''
as $$
declare
  v_count int;
  v_unsold int;
begin
  with ev as (
    select e.amocrm_lead_id, e.occurred_at, e.status_id, e.pipeline_id, e.price, o.seq
    from unnest(p_order) o
    join private.amocrm_lead_events e on e.id = o.id
  ),
  st as (
    select ev.amocrm_lead_id, ev.seq, ev.occurred_at, ev.status_id, p.product,
      case
        when ev.status_id = any (p.full_payment_status_ids) then 'full'
        when ev.status_id = any (p.prepayment_status_ids) then 'prepayment'
      end as sale_type
    from ev
    join public.traffic_leads l on l.amocrm_lead_id = ev.amocrm_lead_id
    left join public.traffic_amocrm_pipelines p
      on p.pipeline_id = coalesce(ev.pipeline_id, l.pipeline_id)
    where ev.status_id is not null
  ),
  marks as (
    select st.amocrm_lead_id, max(st.seq) as last_status_seq,
      max(st.seq) filter (where st.sale_type is not null) as last_sale_seq
    from st
    group by st.amocrm_lead_id
  ),
  target as (
    select m.amocrm_lead_id, m.last_status_seq, m.last_sale_seq, t.product, t.sale_type,
      cur.status_id as current_status_id,
      coalesce((select max(b.seq) from st b
        where b.amocrm_lead_id = m.amocrm_lead_id and b.seq < m.last_sale_seq
          and b.sale_type is distinct from t.sale_type), 0) as run_break_seq,
      (select s.occurred_at from st s
        where s.amocrm_lead_id = m.amocrm_lead_id and s.seq > m.last_sale_seq
        order by s.seq limit 1) as left_at
    from marks m
    join st t on t.amocrm_lead_id = m.amocrm_lead_id and t.seq = m.last_sale_seq
    join st cur on cur.amocrm_lead_id = m.amocrm_lead_id and cur.seq = m.last_status_seq
  ),
  derived as (
    select t.*,
      t.last_status_seq = t.last_sale_seq and not l.is_deleted as active,
      t.last_status_seq > t.last_sale_seq as status_left,
      (select min(s.occurred_at) from st s
        where s.amocrm_lead_id = t.amocrm_lead_id
          and s.seq > t.run_break_seq and s.seq <= t.last_sale_seq) as run_start,
      (select (array_agg(e.price order by e.seq desc) filter (where e.price is not null))[1]
        from ev e
        where e.amocrm_lead_id = t.amocrm_lead_id and e.seq <= t.last_sale_seq) as price_at_sale
    from target t
    join public.traffic_leads l on l.amocrm_lead_id = t.amocrm_lead_id
  )
  insert into public.traffic_sales as s (amocrm_lead_id, product, sale_type, sale_amount,
    currency, sold_at, status, reversed_at, reversal_reason, pipeline_id, status_id, utm_source,
    utm_medium, utm_campaign, utm_content, utm_term, fbclid, user_id, attributed_by,
    attributed_at, amocrm_updated_at)
  select d.amocrm_lead_id, d.product, d.sale_type,
    case when d.active then coalesce(l.price, 0) else coalesce(d.price_at_sale, 0) end,
    'KZT',
    coalesce(d.run_start, l.created_at),
    case when d.active then 'active' else 'reversed' end,
    case when not d.active then
      coalesce(d.left_at, case when old.status = 'reversed' then old.reversed_at end, now())
    end,
    case
      when d.active then null
      when d.status_left and d.current_status_id = 143 then 'lost'
      when d.status_left then 'status_changed'
      else 'deleted'
    end,
    l.pipeline_id, l.status_id, l.utm_source, l.utm_medium, l.utm_campaign, l.utm_content,
    l.utm_term, l.fbclid, l.user_id, l.attributed_by, l.attributed_at, l.amocrm_updated_at
  from derived d
  join public.traffic_leads l on l.amocrm_lead_id = d.amocrm_lead_id
  left join public.traffic_sales old on old.amocrm_lead_id = d.amocrm_lead_id
  on conflict (amocrm_lead_id) do update
    set product = excluded.product,
        sale_type = excluded.sale_type,
        sale_amount = excluded.sale_amount,
        currency = excluded.currency,
        sold_at = excluded.sold_at,
        status = excluded.status,
        reversed_at = excluded.reversed_at,
        reversal_reason = excluded.reversal_reason,
        pipeline_id = excluded.pipeline_id,
        status_id = excluded.status_id,
        utm_source = excluded.utm_source,
        utm_medium = excluded.utm_medium,
        utm_campaign = excluded.utm_campaign,
        utm_content = excluded.utm_content,
        utm_term = excluded.utm_term,
        fbclid = excluded.fbclid,
        user_id = excluded.user_id,
        attributed_by = excluded.attributed_by,
        attributed_at = excluded.attributed_at,
        amocrm_updated_at = excluded.amocrm_updated_at
    where (s.product, s.sale_type, s.sale_amount, s.currency, s.sold_at, s.status, s.reversed_at,
        s.reversal_reason, s.pipeline_id, s.status_id, s.utm_source, s.utm_medium,
        s.utm_campaign, s.utm_content, s.utm_term, s.fbclid, s.user_id, s.attributed_by,
        s.amocrm_updated_at)
      is distinct from (excluded.product, excluded.sale_type, excluded.sale_amount,
        excluded.currency, excluded.sold_at, excluded.status, excluded.reversed_at,
        excluded.reversal_reason, excluded.pipeline_id, excluded.status_id, excluded.utm_source,
        excluded.utm_medium, excluded.utm_campaign, excluded.utm_content, excluded.utm_term,
        excluded.fbclid, excluded.user_id, excluded.attributed_by, excluded.amocrm_updated_at);
  get diagnostics v_count = row_count;

  -- Active rows of leads that no longer have any sale event under the current mapping.
  update public.traffic_sales s
  set status = 'reversed', reversed_at = now(), reversal_reason = 'not_a_sale'
  where s.amocrm_lead_id = any (p_lead_ids)
    and s.status = 'active'
    and not exists (
      select 1
      from private.amocrm_lead_events e
      join public.traffic_leads l on l.amocrm_lead_id = e.amocrm_lead_id
      join public.traffic_amocrm_pipelines p on p.pipeline_id = coalesce(e.pipeline_id, l.pipeline_id)
      where e.amocrm_lead_id = s.amocrm_lead_id
        and (e.status_id = any (p.full_payment_status_ids)
          or e.status_id = any (p.prepayment_status_ids))
    );
  get diagnostics v_unsold = row_count;
  return v_count + v_unsold;
end
$$;
comment on function private.amocrm_rebuild_sales(bigint[], private.amocrm_lead_event_seq[]) is
  'Derives the traffic_sales ledger rows of the given AmoCRM leads (active / reversed, amount, '
  'sold_at) from their events in the order p_order gives and the pipeline mapping; order-independent; returns rows written.';
revoke all on function private.amocrm_rebuild_sales(bigint[], private.amocrm_lead_event_seq[])
  from public, anon, authenticated, service_role;

create or replace function public.amocrm_sync_apply(p_events jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_lead_ids bigint[];
  v_order private.amocrm_lead_event_seq[];
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
    v_order := private.amocrm_lead_events_order(v_lead_ids);
    v_leads := private.amocrm_rebuild_leads(v_lead_ids, v_order);
    perform private.amocrm_attribute_leads(v_lead_ids);
    v_sales := private.amocrm_rebuild_sales(v_lead_ids, v_order);
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

alter function private.amocrm_rebuild_leads(bigint[], private.amocrm_lead_event_seq[])
  set plan_cache_mode = force_generic_plan;
alter function private.amocrm_rebuild_sales(bigint[], private.amocrm_lead_event_seq[])
  set plan_cache_mode = force_generic_plan;
