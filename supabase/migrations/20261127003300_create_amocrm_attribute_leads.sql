-- Attribution of freshly written leads, so a lead (and its sale) shows up on its targetologist's
-- rows at once, on the very rules and maps of traffic_resolve_attribution() (which the aggregation
-- runs every 10 minutes, and which also attributes leads that arrived before their campaign was
-- synced): the id -> owner map private.traffic_attribution_owners (ad < adset < campaign; an id
-- shared by several users goes to the lowest user_id), the same order of UTM values within a
-- level (utm_content, utm_term, utm_campaign), and the case-insensitive utm_source map
-- private.traffic_attribution_sources. So the next aggregation never has to correct what the
-- webhook set. Unmatched leads are left as they are (unattributed, or as the aggregation left
-- them).
create or replace function private.amocrm_attribute_leads(p_lead_ids bigint[])
returns int
language plpgsql
set search_path = ''
as $$
declare
  v_count int;
begin
  with match as (
    select l.id,
      coalesce(best.user_id, src.user_id) as user_id,
      coalesce(best.level, case when src.user_id is not null then 'utm_source' end)
        as attributed_by
    from public.traffic_leads l
    left join lateral (
      select o.user_id, o.level
      from private.traffic_attribution_owners o
      join (values (l.utm_content, 1), (l.utm_term, 2), (l.utm_campaign, 3)) as u(id, pos)
        on o.id = u.id
      order by o.rank, u.pos
      limit 1
    ) best on true
    left join private.traffic_attribution_sources src on src.source = lower(l.utm_source)
    where l.amocrm_lead_id = any (p_lead_ids)
  )
  update public.traffic_leads l
  set user_id = match.user_id, attributed_by = match.attributed_by, attributed_at = now()
  from match
  where l.id = match.id
    and match.user_id is not null
    and (l.user_id, l.attributed_by) is distinct from (match.user_id, match.attributed_by);
  get diagnostics v_count = row_count;
  return v_count;
end
$$;
comment on function private.amocrm_attribute_leads(bigint[]) is
  'Attributes the given AmoCRM leads with traffic_resolve_attribution()''s rules and maps '
  '(ad > adset > campaign id in UTM values, then utm_source case-insensitively); returns how many '
  'rows changed. Leaves unmatched leads untouched.';
revoke all on function private.amocrm_attribute_leads(bigint[])
  from public, anon, authenticated, service_role;
