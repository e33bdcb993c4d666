-- The entity step picks the same raw row every time (review R6 L3).
--
-- private.traffic_attribution_entity (20261207001300) read an ad's or an adset's parents from
-- `limit 1` of its raw rows with no order: when the rows of one ad or adset carry several
-- (adset, campaign) pairs (an id seen under another parent, data written by hand), which pair came
-- back depended on the plan and the heap order, so two calls could attribute one conversion to
-- different campaigns. Now each probe takes the entity's latest day (its current parents), then
-- the lowest campaign id among that day's rows:
--   * ad level: order by stat_date desc; the unique key (user_id, ad_id, stat_date) makes it a
--     total order, read backwards from that index: one row;
--   * adset level: the adset's latest day (one entry of the (user_id, adset_id, stat_date)
--     index, read backwards), then the lowest campaign id among that day's rows only
--     (an index range of that one day). Written as `order by stat_date desc, campaign_id limit 1`
--     the planner sorted every row of the adset, and as max(stat_date) it aggregated every index
--     entry of the adset (200 of the bench's adsets at a year's volume, EXPLAIN ANALYZE);
--   * campaign level: the answer is the probed id itself, whichever row matches.
-- Same signature, still plain inlinable SQL (pgTAP 245); traffic_campaign_metrics calls it.
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
     where r.user_id = p_user_id and r.ad_id = p_utm_content
     order by r.stat_date desc limit 1)
    union all
    (select r.campaign_id, r.adset_id, r.ad_id, 2 as pri from public.traffic_facebook_ads_raw r
     where r.user_id = p_user_id and r.ad_id = p_utm_term
     order by r.stat_date desc limit 1)
    union all
    (select r.campaign_id, r.adset_id, r.ad_id, 3 as pri from public.traffic_facebook_ads_raw r
     where r.user_id = p_user_id and r.ad_id = p_utm_campaign
     order by r.stat_date desc limit 1)
    ) x order by x.pri limit 1
  ) m_ad on true
  left join lateral (
    -- The adset each UTM value names: its latest day, then that day's lowest campaign id.
    select a.campaign_id, a.adset_id
    from (values (1, p_utm_content), (2, p_utm_term), (3, p_utm_campaign)) as u(pri, id)
    cross join lateral (
      select d.stat_date from public.traffic_facebook_ads_raw d
      where d.user_id = p_user_id and d.adset_id = u.id
      order by d.stat_date desc limit 1
    ) as latest
    cross join lateral (
      select r.campaign_id, r.adset_id from public.traffic_facebook_ads_raw r
      where r.user_id = p_user_id and r.adset_id = u.id and r.stat_date = latest.stat_date
      order by r.campaign_id limit 1
    ) as a
    where m_ad.ad_id is null
    order by u.pri limit 1
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
  'within a level (private.traffic_attribution_rule''s order); nulls when none. An ad''s or '
  'adset''s parents are those of its latest day (then the lowest campaign id): deterministic. '
  'Inlined into traffic_campaign_metrics.';
