-- Derives the sales-ledger rows (traffic_sales) of some leads from their event log and their
-- current traffic_leads row, so the ledger, like the lead, depends only on the set of events.
--
-- An event "is a sale" when its status is in its pipeline's full_payment_status_ids ('full') or
-- prepayment_status_ids ('prepayment') in traffic_amocrm_pipelines. For a lead with at least one
-- such event (events in the order of private.amocrm_rebuild_leads):
--   * the target is its latest sale event: product and sale_type come from it;
--   * the sale is ACTIVE when the latest status event is that target and the lead is not
--     deleted: sale_amount = the lead's current price (a price change updates it);
--   * otherwise it is REVERSED: reversal_reason 'lost' (moved to 143), 'status_changed' (moved to
--     any other non-sale status) or 'deleted'; sale_amount = the price as of the target;
--   * sold_at = the updated_at of the first event of the run of same-type sale events that ends
--     at the target (entering the status; a later price change does not move it).
-- A lead without a sale event gets no row, and an active row whose lead no longer has one (the
-- mapping changed) is reversed with 'not_a_sale'. Ledger rows are never deleted.
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
    select e.amocrm_lead_id, e.occurred_at, e.status_id, e.pipeline_id, e.price,
      row_number() over (partition by e.amocrm_lead_id
        order by e.occurred_at asc nulls first, e.action_rank, e.content_hash) as seq
    from private.amocrm_lead_events e
    where e.amocrm_lead_id = any (p_lead_ids)
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
