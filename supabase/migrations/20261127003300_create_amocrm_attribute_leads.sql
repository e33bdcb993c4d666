-- Attribution of freshly written leads, so a lead (and its sale) shows up on its targetologist's
-- dashboard at once. Same rules as the aggregation's set-based resolution, which runs again at
-- aggregation time and therefore also attributes leads that arrived before their campaign was
-- synced: a utm_content, utm_term or utm_campaign equal to a Facebook ad id wins, then an adset
-- id, then a campaign id (traffic_facebook_ads_raw); then the targetologist whose utm_sources
-- contains the lead's utm_source. No match leaves the lead as it is (unattributed, or as the
-- aggregation left it).
create or replace function private.amocrm_attribute_leads(p_lead_ids bigint[])
returns int
language plpgsql
set search_path = ''
as $$
declare
  v_count int;
begin
  with match as (
    select l.id, m.user_id, m.attributed_by
    from public.traffic_leads l
    cross join lateral (
      select c.user_id, c.attributed_by
      from (
        select f.user_id, 'ad' as attributed_by, 1 as rank
        from public.traffic_facebook_ads_raw f
        where f.ad_id in (l.utm_content, l.utm_term, l.utm_campaign)
        union all
        select f.user_id, 'adset', 2
        from public.traffic_facebook_ads_raw f
        where f.adset_id in (l.utm_content, l.utm_term, l.utm_campaign)
        union all
        select f.user_id, 'campaign', 3
        from public.traffic_facebook_ads_raw f
        where f.campaign_id in (l.utm_content, l.utm_term, l.utm_campaign)
        union all
        select s.user_id, 'utm_source', 4
        from public.traffic_targetologist_settings s
        where l.utm_source is not null and l.utm_source = any (s.utm_sources)
      ) c
      order by c.rank, c.user_id
      limit 1
    ) m
    where l.amocrm_lead_id = any (p_lead_ids)
  )
  update public.traffic_leads l
  set user_id = match.user_id, attributed_by = match.attributed_by, attributed_at = now()
  from match
  where l.id = match.id
    and (l.user_id, l.attributed_by) is distinct from (match.user_id, match.attributed_by);
  get diagnostics v_count = row_count;
  return v_count;
end
$$;
comment on function private.amocrm_attribute_leads(bigint[]) is
  'Attributes the given AmoCRM leads to a targetologist (ad > adset > campaign id in UTM values, '
  'then utm_source); returns how many rows changed. Leaves unmatched leads untouched.';
revoke all on function private.amocrm_attribute_leads(bigint[])
  from public, anon, authenticated, service_role;
