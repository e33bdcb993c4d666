-- The longest date range a caller may ask any metrics function for, enforced in SQL (issue 12
-- item 3): traffic-api refuses more than 366 days (MAX_RANGE_DAYS), and so does the SQL a
-- signed-in user may call directly through /rest/v1/rpc. SQLSTATE 22023 (invalid_parameter_value)
-- as in traffic_metrics_for_range / get_average_exchange_rate; traffic-api answers it with 400.
create or replace function private.traffic_check_range(p_from date, p_to date)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if p_from is null or p_to is null then
    raise exception 'invalid range: from and to are required' using errcode = '22023';
  end if;
  if p_from > p_to then
    raise exception 'invalid range: from (%) is after to (%)', p_from, p_to
      using errcode = '22023';
  end if;
  if p_to - p_from + 1 > 366 then
    raise exception 'range too large: % days from % to %; at most 366 are allowed',
      p_to - p_from + 1, p_from, p_to using errcode = '22023';
  end if;
end
$$;

comment on function private.traffic_check_range(date, date) is
  'Raises SQLSTATE 22023 unless p_from <= p_to and the range covers at most 366 days. Called first '
  'by traffic_daily_series and traffic_campaign_metrics.';
revoke all on function private.traffic_check_range(date, date) from public, anon;
grant execute on function private.traffic_check_range(date, date) to authenticated, service_role;
