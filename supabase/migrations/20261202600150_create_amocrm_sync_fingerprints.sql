-- A digest of what the dashboard reads of some leads: their traffic_leads business columns and
-- their ledger row (traffic_sales). amocrm_sync_apply() compares it before and after applying a
-- page, so "changed" means a value a user sees moved, not a bookkeeping column (amocrm_updated_at,
-- attributed_at, the now() of a deletion's reversed_at).
create or replace function private.amocrm_sync_fingerprints(p_lead_ids bigint[])
returns table (amocrm_lead_id bigint, lead_fp text, sale_fp text)
language sql
stable
set search_path = ''
as $$
  select id.id,
    md5(coalesce(row(l.pipeline_id, l.status_id, l.product, l.name, l.price,
        l.responsible_user_id, l.utm_source, l.utm_medium, l.utm_campaign, l.utm_content,
        l.utm_term, l.fbclid, l.custom_fields, l.created_at, l.is_deleted)::text, '-')),
    md5(coalesce(row(s.product, s.sale_type, s.sale_amount, s.sold_at, s.status,
        s.reversal_reason)::text, '-'))
  from unnest(p_lead_ids) as id (id)
  left join public.traffic_leads l on l.amocrm_lead_id = id.id
  left join public.traffic_sales s on s.amocrm_lead_id = id.id
$$;
comment on function private.amocrm_sync_fingerprints(bigint[]) is
  'md5 per lead of its visible traffic_leads columns and of its traffic_sales row (amocrm-sync '
  'change detection).';
revoke all on function private.amocrm_sync_fingerprints(bigint[])
  from public, anon, authenticated, service_role;
