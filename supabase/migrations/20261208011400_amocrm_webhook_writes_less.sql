-- What each webhook writes, made cheaper for Postgres (issue 11 item 1: its CPU per request).
-- Same rows, same answers. Landed first as 20261208002700 (01:14 UTC), older than main's newest
-- (20261208004800): renamed to keep versions in landing order (review R10 L3, lead 01:12). Every
-- statement is idempotent, so a database that applied it under the old version applies it again
-- harmlessly.
--
-- 1. A stored body is compressed with lz4 instead of pglz. traffic_amocrm_events holds the raw
--    body (~2.4 kB for a new deal) and the parsed payload (~1.2 kB of jsonb): over the toast
--    threshold, so every insert compressed raw_body with pglz (~50 µs a 2.4 kB body on this
--    machine, lz4 ~12 µs: 20,000 bench bodies into a temp table, 1.17-1.28 s against 0.41-0.47 s).
--    Both columns, since with raw_body in lz4 (784 bytes against pglz's 668) the row is still over
--    the threshold and the toaster would compress payload with pglz next (measured: it did).
--    Rows stored before stay pglz; Postgres reads either. Sizes: raw_body +~110 bytes a body.
--    A server built without lz4 (a Supabase project provisioned before 2023-01-26 may be one,
--    supabase/postgres#483; review R10 L2) refuses the method: there both columns keep pglz, with
--    a notice, and the migration goes on (compression never changes what is read back).
do $$
begin
  alter table public.traffic_amocrm_events alter column raw_body set compression lz4;
  alter table public.traffic_amocrm_events alter column payload set compression lz4;
exception when feature_not_supported then
  raise notice 'traffic_amocrm_events keeps pglz: this server has no lz4 (%)', sqlerrm;
end
$$;

-- 2. Two indexes of traffic_leads that nothing reads (each new lead paid their inserts, ~2 of the
--    ~38 WAL records of a webhook, hook's seventh-session section in docs/benchmarks.md):
--    traffic_leads_utm_medium_idx (utm_medium): no SQL of the project filters, joins or orders
--      traffic_leads on utm_medium; it is only written (amocrm_rebuild_leads, amocrm_sync_apply).
--    traffic_leads_utm_source_idx (utm_source): attribution and re-attribution compare
--      lower(utm_source), which has its own index (traffic_leads_utm_source_lower_idx,
--      20261202100300); no SQL compares the column as written.
--    Checked besides the SQL: traffic-api reads traffic_leads only through SQL functions (none of
--    them by these columns); the dashboard reads only traffic-api (and Supabase Auth), never a
--    PostgREST table; no index is named in docs or tests. A PostgREST filter on either column by
--    a signed-in user (RLS: their own rows, or all for an admin) still answers the same, through
--    traffic_leads_user_created_idx or a scan. traffic_sales never had either index.
drop index if exists public.traffic_leads_utm_medium_idx;
drop index if exists public.traffic_leads_utm_source_idx;
