-- The order of a lead's events, written once (issue 16). amocrm_rebuild_leads and
-- amocrm_rebuild_sales each numbered the events with the same window; now both read
-- private.amocrm_lead_events_in_order: per lead, occurred_at (events without a time first), then
-- action_rank (add < update < status < delete < restore), then content_hash. Plain SQL, stable, no
-- SET clause: inlined, so each rebuild's plan is the window over the leads' events as before (plus
-- a primary-key join back to the event row). Otherwise the two functions are exactly their
-- previous definitions (20261202210000_amocrm_rebuild_leads_inserts_attributed.sql,
-- 20261127003500_create_amocrm_rebuild_sales.sql).
create or replace function private.amocrm_lead_events_in_order(p_lead_ids bigint[])
returns table (id bigint, amocrm_lead_id bigint, seq bigint)
language sql
stable
as $$
  select e.id, e.amocrm_lead_id,
    row_number() over (partition by e.amocrm_lead_id
      order by e.occurred_at asc nulls first, e.action_rank, e.content_hash)
  from private.amocrm_lead_events e
  where e.amocrm_lead_id = any (p_lead_ids)
$$;
comment on function private.amocrm_lead_events_in_order(bigint[]) is
  'THE order of an AmoCRM lead''s events (seq 1, 2, ... per lead: occurred_at, nulls first, then '
  'action_rank, then content_hash), which amocrm_rebuild_leads and amocrm_rebuild_sales derive '
  'the lead''s latest values and its sale from.';
revoke all on function private.amocrm_lead_events_in_order(bigint[])
  from public, anon, authenticated, service_role;

create or replace function private.amocrm_rebuild_leads(p_lead_ids bigint[])
returns int
language plpgsql
set search_path = ''
as $$
declare
  v_count int;
begin
  with ev as (
    select e.*, o.seq
    from private.amocrm_lead_events_in_order(p_lead_ids) o
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
comment on function private.amocrm_rebuild_leads(bigint[]) is
  'Derives the traffic_leads rows of the given AmoCRM leads from private.amocrm_lead_events '
  '(latest value per field; order-independent; a new lead is inserted attributed by '
  'private.traffic_attribution_rule); returns how many rows were written.';
revoke all on function private.amocrm_rebuild_leads(bigint[])
  from public, anon, authenticated, service_role;

create or replace function private.amocrm_rebuild_sales(p_lead_ids bigint[])
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
    from private.amocrm_lead_events_in_order(p_lead_ids) o
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
comment on function private.amocrm_rebuild_sales(bigint[]) is
  'Derives the traffic_sales ledger rows of the given AmoCRM leads (active / reversed, amount, '
  'sold_at) from their events and pipeline mapping; order-independent; returns rows written.';
revoke all on function private.amocrm_rebuild_sales(bigint[])
  from public, anon, authenticated, service_role;
