-- Per targetologist, campaign or adset, newest day first: traffic_campaign_metrics() reads each
-- entity's latest name (and matches UTM values to adsets and campaigns) with one probe of these,
-- where the single-column indexes made it read and sort every ad-day row of the entity
-- (figures: docs/benchmarks.md, "Figures that explain settings"). The unique key
-- (user_id, ad_id, stat_date) already serves ads.
create index if not exists traffic_facebook_ads_raw_user_campaign_date_idx
  on public.traffic_facebook_ads_raw (user_id, campaign_id, stat_date);
create index if not exists traffic_facebook_ads_raw_user_adset_date_idx
  on public.traffic_facebook_ads_raw (user_id, adset_id, stat_date);
