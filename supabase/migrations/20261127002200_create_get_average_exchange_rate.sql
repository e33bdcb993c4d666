-- The seed's getAverageExchangeRate(from, to), kept answerable: the average of the effective
-- daily rates (latest official rate on or before each day) over every calendar day of the range.
create or replace function public.get_average_exchange_rate(
  p_from date,
  p_to date,
  p_currency text default 'USD'
)
returns numeric
language sql
stable
security invoker
set search_path = ''
as $$
  select avg(
    case when upper(p_currency) = 'KZT' then 1::numeric
    else coalesce(
      (select e.rate_kzt from public.exchange_rates e
       where e.currency = upper(p_currency) and e.rate_date <= d.day::date
       order by e.rate_date desc limit 1),
      private.traffic_missing_rate(upper(p_currency), d.day::date))
    end)
  from generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') as d(day)
$$;
comment on function public.get_average_exchange_rate(date, date, text) is
  'KZT per unit of p_currency averaged over the calendar days p_from..p_to, each day at its '
  'effective rate (latest on or before it). Null for an empty range; raises when a day has no '
  'rate on or before it. Not what ROAS uses: spend is converted day by day.';
revoke all on function public.get_average_exchange_rate(date, date, text) from public, anon;
grant execute on function public.get_average_exchange_rate(date, date, text)
  to authenticated, service_role;
