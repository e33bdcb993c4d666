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

-- The two rates one day's spend in one currency is converted with, the rule every per-day metric
-- (traffic_daily_series, traffic_campaign_metrics) shares: cur_kzt = the currency's latest rate on
-- or before the day (1 for KZT), usd_kzt = the USD rate likewise. A missing rate raises. Callers
-- ask only for days with spend, so zero-spend days need no rate.
create or replace function private.traffic_day_rates(p_currency text, p_day date)
returns table (cur_kzt numeric, usd_kzt numeric)
language sql
stable
parallel safe
set search_path = ''
as $$
  select
    case when p_currency = 'KZT' then 1::numeric
    else coalesce(
      (select e.rate_kzt from public.exchange_rates e
       where e.currency = p_currency and e.rate_date <= p_day
       order by e.rate_date desc limit 1),
      private.traffic_missing_rate(p_currency, p_day))
    end,
    coalesce(
      (select e.rate_kzt from public.exchange_rates e
       where e.currency = 'USD' and e.rate_date <= p_day
       order by e.rate_date desc limit 1),
      private.traffic_missing_rate('USD', p_day))
$$;
comment on function private.traffic_day_rates(text, date) is
  'The effective (latest on or before the day) rates of a currency and of USD in KZT for one day; '
  'raises when either is missing. Shared by the per-day and per-campaign metrics.';
revoke all on function private.traffic_day_rates(text, date) from public, anon;
grant execute on function private.traffic_day_rates(text, date) to authenticated, service_role;
