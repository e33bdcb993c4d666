-- Exchange-rate helpers shared by the aggregation functions: the effective-rate index and the one
-- place that fails loudly when a needed rate is missing (a wrong ROAS is worse than no ROAS).

-- "The latest rate on or before day d" for one currency: an index in exactly that order.
create index if not exists exchange_rates_currency_date_idx
  on public.exchange_rates (currency, rate_date desc) include (rate_kzt);

-- Called as `coalesce(<rate lookup>, private.traffic_missing_rate(currency, day))`, so it only runs
-- when the lookup found nothing. Parallel safe so it does not keep the caller's query serial.
create or replace function private.traffic_missing_rate(p_currency text, p_day date)
returns numeric
language plpgsql
stable
parallel safe
set search_path = ''
as $$
begin
  raise exception 'missing exchange rate: no % rate on or before %', p_currency, p_day
    using errcode = 'P0001',
      detail = format('public.exchange_rates has no row with currency = %L and rate_date <= %L; '
        'ad spend of that day cannot be converted.', p_currency, p_day),
      hint = 'Run aggregate-metrics (it fetches missing days from the National Bank feed) or '
        'insert the official rate into public.exchange_rates.';
end
$$;
comment on function private.traffic_missing_rate(text, date) is
  'Raises "missing exchange rate: no <currency> rate on or before <day>". Used as the fallback of '
  'an effective-rate lookup so metrics are never computed with a guessed rate.';
revoke all on function private.traffic_missing_rate(text, date) from public, anon;
grant execute on function private.traffic_missing_rate(text, date) to authenticated, service_role;
