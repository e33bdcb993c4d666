-- Meta leads rebuilt once from the raw rows' lists (review R1 L3 of 20261207060204): action rows
-- without a raw row (only a direct write could make them) were dropped with the old table, but
-- the traffic_meta_leads_by_ad / traffic_meta_leads_daily rows derived from them stayed.
select public.traffic_rebuild_meta_leads();
