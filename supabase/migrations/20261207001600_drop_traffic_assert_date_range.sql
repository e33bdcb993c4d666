-- private.traffic_assert_date_range's rule now lives in private.traffic_check_range(.., true)
-- (20261207001100); its last callers (traffic_metrics_for_range, get_average_exchange_rate) were
-- redefined to call that, so the second definition goes.
drop function if exists private.traffic_assert_date_range(date, date, text);
