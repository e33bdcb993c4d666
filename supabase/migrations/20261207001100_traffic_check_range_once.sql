-- One range check (issue 16): private.traffic_check_range and private.traffic_assert_date_range
-- said the same thing twice. traffic_check_range now holds the whole rule and every metrics
-- function calls it first:
--   * from and to are required and from <= to;
--   * at most 366 days (what traffic-api's MAX_RANGE_DAYS allows);
--   * with p_bounded (the functions whose cost or result depends on the calendar of rates:
--     traffic_metrics_for_range, get_average_exchange_rate), dates within 2000-01-01 ..
--     2099-12-31.
-- SQLSTATE 22023 (invalid_parameter_value) throughout: PostgREST answers 400, traffic-api
-- invalid_range. traffic_assert_date_range is dropped once its callers are redefined
-- (20261207001600).
drop function if exists private.traffic_check_range(date, date);

create or replace function private.traffic_check_range(
  p_from date,
  p_to date,
  p_bounded boolean default false
)
returns void
language plpgsql
immutable
parallel safe
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
  if p_bounded and (p_from < date '2000-01-01' or p_to > date '2099-12-31') then
    raise exception 'invalid range: dates must lie between 2000-01-01 and 2099-12-31 (got % .. %)',
      p_from, p_to
      using errcode = '22023',
        hint = 'Ask for at most 366 days between 2000-01-01 and 2099-12-31.';
  end if;
  if p_to - p_from + 1 > 366 then
    raise exception 'range too large: % days from % to %; at most 366 are allowed%',
      p_to - p_from + 1, p_from, p_to,
      case when p_bounded then ', between 2000-01-01 and 2099-12-31' else '' end
      using errcode = '22023';
  end if;
end
$$;
comment on function private.traffic_check_range(date, date, boolean) is
  'THE date-range rule of the metrics functions: raises SQLSTATE 22023 unless p_from <= p_to '
  '(both given) and the range covers at most 366 days; with p_bounded also unless both lie in '
  '2000-01-01 .. 2099-12-31. Called first by traffic_metrics_for_range, traffic_daily_series, '
  'traffic_campaign_metrics and get_average_exchange_rate.';
revoke all on function private.traffic_check_range(date, date, boolean) from public, anon;
grant execute on function private.traffic_check_range(date, date, boolean)
  to authenticated, service_role;

-- The seed's getAverageExchangeRate(from, to): each day at its effective rate
-- (private.traffic_rate_on). A reversed or open range is still an empty one (null), as before.
create or replace function public.get_average_exchange_rate(
  p_from date,
  p_to date,
  p_currency text default 'USD'
)
returns numeric
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_rate numeric;
begin
  if p_from <= p_to then
    perform private.traffic_check_range(p_from, p_to, true);
  end if;
  select avg(coalesce(r.rate_kzt, private.traffic_missing_rate(upper(p_currency), d.day::date)))
  into v_rate
  from generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') as d(day)
  cross join lateral private.traffic_rate_on(upper(p_currency), d.day::date) as r;
  return v_rate;
end
$$;
comment on function public.get_average_exchange_rate(date, date, text) is
  'KZT per unit of p_currency averaged over the calendar days p_from..p_to, each day at its '
  'effective rate (private.traffic_rate_on). Null for an empty range; raises TS001 when a day has '
  'no rate on or before it, and 22023 for a range over 366 days or outside 2000..2099. Not what '
  'ROAS uses: spend is converted day by day.';
