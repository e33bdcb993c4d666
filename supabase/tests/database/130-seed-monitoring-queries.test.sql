-- The seed's monitoring and diagnosis queries (traffic-sync-services.md, "Monitoring" and
-- "Troubleshooting") run verbatim: copied byte for byte, unqualified names and all. They run
-- as postgres (the SQL editor) and as an admin (the dashboard owner), and return the fixture's rows.
begin;
select plan(10);
select tests.create_fixture();

-- Check Sync History
select isnt_empty($q$
SELECT
  sync_type,
  started_at,
  success,
  users_processed,
  records_synced,
  duration_ms,
  error_message
FROM traffic_sync_history
ORDER BY started_at DESC
LIMIT 10;
$q$, 'postgres: Check Sync History runs and returns rows');

-- Check Last Aggregation
select isnt_empty($q$
SELECT
  team_name,
  period,
  spend_usd,
  total_revenue,
  roas,
  updated_at
FROM traffic_aggregated_metrics
ORDER BY updated_at DESC;
$q$, 'postgres: Check Last Aggregation runs and returns rows');

-- Check Raw Facebook Data
select isnt_empty($q$
SELECT
  team_name,
  stat_date,
  SUM(spend) as total_spend,
  SUM(impressions) as total_impressions,
  COUNT(*) as ad_count
FROM traffic_facebook_ads_raw
GROUP BY team_name, stat_date
ORDER BY stat_date DESC;
$q$, 'postgres: Check Raw Facebook Data runs and returns rows');

-- Diagnosis: raw data exists
select isnt_empty($q$
SELECT COUNT(*) FROM traffic_facebook_ads_raw;
$q$, 'postgres: Diagnosis: raw data exists runs and returns rows');

-- Diagnosis: did aggregation run
select isnt_empty($q$
SELECT * FROM traffic_sync_history
WHERE sync_type = 'full'
ORDER BY started_at DESC LIMIT 1;
$q$, 'postgres: Diagnosis: did aggregation run runs and returns rows');

select tests.authenticate_as(tests.uid('admin'), true);

-- Check Sync History
select isnt_empty($q$
SELECT
  sync_type,
  started_at,
  success,
  users_processed,
  records_synced,
  duration_ms,
  error_message
FROM traffic_sync_history
ORDER BY started_at DESC
LIMIT 10;
$q$, 'admin: Check Sync History runs and returns rows');

-- Check Last Aggregation
select isnt_empty($q$
SELECT
  team_name,
  period,
  spend_usd,
  total_revenue,
  roas,
  updated_at
FROM traffic_aggregated_metrics
ORDER BY updated_at DESC;
$q$, 'admin: Check Last Aggregation runs and returns rows');

-- Check Raw Facebook Data
select isnt_empty($q$
SELECT
  team_name,
  stat_date,
  SUM(spend) as total_spend,
  SUM(impressions) as total_impressions,
  COUNT(*) as ad_count
FROM traffic_facebook_ads_raw
GROUP BY team_name, stat_date
ORDER BY stat_date DESC;
$q$, 'admin: Check Raw Facebook Data runs and returns rows');

-- Diagnosis: raw data exists
select isnt_empty($q$
SELECT COUNT(*) FROM traffic_facebook_ads_raw;
$q$, 'admin: Diagnosis: raw data exists runs and returns rows');

-- Diagnosis: did aggregation run
select isnt_empty($q$
SELECT * FROM traffic_sync_history
WHERE sync_type = 'full'
ORDER BY started_at DESC LIMIT 1;
$q$, 'admin: Diagnosis: did aggregation run runs and returns rows');

select * from finish();
rollback;
