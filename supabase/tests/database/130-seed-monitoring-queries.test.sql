-- The seed's monitoring and diagnosis queries (traffic-sync-services.md, "Monitoring" and
-- "Troubleshooting") run verbatim: copied byte for byte, unqualified names and all. They run
-- as postgres (the SQL editor) and as an admin (the dashboard owner), and return the fixture's rows.
begin;
select plan(10);
select tests.create_fixture();

-- The queries, verbatim (one row each, in the seed's order).
create temp table seed_query (n int, name text, query text);
insert into seed_query values
(1, 'Check Sync History', $q$
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
$q$),
(2, 'Check Last Aggregation', $q$
SELECT
  team_name,
  period,
  spend_usd,
  total_revenue,
  roas,
  updated_at
FROM traffic_aggregated_metrics
ORDER BY updated_at DESC;
$q$),
(3, 'Check Raw Facebook Data', $q$
SELECT
  team_name,
  stat_date,
  SUM(spend) as total_spend,
  SUM(impressions) as total_impressions,
  COUNT(*) as ad_count
FROM traffic_facebook_ads_raw
GROUP BY team_name, stat_date
ORDER BY stat_date DESC;
$q$),
(4, 'Diagnosis: raw data exists', $q$
SELECT COUNT(*) FROM traffic_facebook_ads_raw;
$q$),
(5, 'Diagnosis: did aggregation run', $q$
SELECT * FROM traffic_sync_history
WHERE sync_type = 'full'
ORDER BY started_at DESC LIMIT 1;
$q$);
grant select on seed_query to authenticated;

select isnt_empty(q.query, 'postgres: ' || q.name || ' runs and returns rows')
from (select * from seed_query order by n) as q;

select tests.authenticate_as(tests.uid('admin'), true);
select isnt_empty(q.query, 'admin: ' || q.name || ' runs and returns rows')
from (select * from seed_query order by n) as q;

select * from finish();
rollback;
