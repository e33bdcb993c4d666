-- The entity step of the attribution rule (issue 16), written once: which campaign, adset and ad
-- of its owner's ads a lead or sale belongs to. The priority is private.traffic_attribution_rule's
-- (ad before adset before campaign id; within a level utm_content, then utm_term, then
-- utm_campaign); where the rule picks the owner among every targetologist's ids (the maintained
-- owner tables), this step looks within the owner's own ads, one index probe per UTM value (the
-- (user, entity, date) indexes of 20261202200150). traffic_campaign_metrics calls it; pgTAP 245
-- pins that both agree.
--
-- Plain SQL, stable, no SET clause: inlined into the caller's query, the plan is the one
-- traffic_campaign_metrics had with the lookups written in place.
create or replace function private.traffic_attribution_entity(
  p_user_id uuid,
  p_utm_content text,
  p_utm_term text,
  p_utm_campaign text
)
returns table (campaign_id text, adset_id text, ad_id text)
language sql
stable
parallel safe
as $$
  select coalesce(m_ad.campaign_id, m_adset.campaign_id, m_campaign.campaign_id),
    coalesce(m_ad.adset_id, m_adset.adset_id),
    m_ad.ad_id
  from (select 1) as one
  left join lateral (
    select x.campaign_id, x.adset_id, x.ad_id from (
    (select r.campaign_id, r.adset_id, r.ad_id, 1 as pri from public.traffic_facebook_ads_raw r
     where r.user_id = p_user_id and r.ad_id = p_utm_content limit 1)
    union all
    (select r.campaign_id, r.adset_id, r.ad_id, 2 as pri from public.traffic_facebook_ads_raw r
     where r.user_id = p_user_id and r.ad_id = p_utm_term limit 1)
    union all
    (select r.campaign_id, r.adset_id, r.ad_id, 3 as pri from public.traffic_facebook_ads_raw r
     where r.user_id = p_user_id and r.ad_id = p_utm_campaign limit 1)
    ) x order by x.pri limit 1
  ) m_ad on true
  left join lateral (
    select x.campaign_id, x.adset_id from (
    (select r.campaign_id, r.adset_id, 1 as pri from public.traffic_facebook_ads_raw r
     where m_ad.ad_id is null and r.user_id = p_user_id and r.adset_id = p_utm_content limit 1)
    union all
    (select r.campaign_id, r.adset_id, 2 as pri from public.traffic_facebook_ads_raw r
     where m_ad.ad_id is null and r.user_id = p_user_id and r.adset_id = p_utm_term limit 1)
    union all
    (select r.campaign_id, r.adset_id, 3 as pri from public.traffic_facebook_ads_raw r
     where m_ad.ad_id is null and r.user_id = p_user_id and r.adset_id = p_utm_campaign limit 1)
    ) x order by x.pri limit 1
  ) m_adset on true
  left join lateral (
    select x.campaign_id from (
    (select r.campaign_id, 1 as pri from public.traffic_facebook_ads_raw r
     where m_ad.ad_id is null and m_adset.adset_id is null
       and r.user_id = p_user_id and r.campaign_id = p_utm_content limit 1)
    union all
    (select r.campaign_id, 2 as pri from public.traffic_facebook_ads_raw r
     where m_ad.ad_id is null and m_adset.adset_id is null
       and r.user_id = p_user_id and r.campaign_id = p_utm_term limit 1)
    union all
    (select r.campaign_id, 3 as pri from public.traffic_facebook_ads_raw r
     where m_ad.ad_id is null and m_adset.adset_id is null
       and r.user_id = p_user_id and r.campaign_id = p_utm_campaign limit 1)
    ) x order by x.pri limit 1
  ) m_campaign on true
$$;
comment on function private.traffic_attribution_entity(uuid, text, text, text) is
  'The entity step of the attribution rule: (campaign_id, adset_id, ad_id) of p_user_id''s ads '
  'that the UTM values name, ad > adset > campaign id, utm_content > utm_term > utm_campaign '
  'within a level (private.traffic_attribution_rule''s order); nulls when none. Inlined into '
  'traffic_campaign_metrics.';
revoke all on function private.traffic_attribution_entity(uuid, text, text, text)
  from public, anon;
grant execute on function private.traffic_attribution_entity(uuid, text, text, text)
  to authenticated, service_role;
