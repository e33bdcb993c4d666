-- Currency conversion, written once (issue 16). Private functions hold the rule every metric
-- shares; traffic_metrics_for_range, traffic_daily_series, traffic_campaign_metrics
-- and get_average_exchange_rate call them (their new definitions follow in the
-- next migrations):
--   * private.traffic_rate_on(currency, day): the effective rate, KZT for one unit: 1 for KZT,
--     else the latest exchange_rates row on or before the day; null when there is none;
--   * private.traffic_spend_converted(spend, currency, day, cur_kzt, usd_kzt): one day's spend in
--     one currency as (spend_usd, spend_kzt): USD stays as is, any other currency goes to USD via
--     KZT (spend x cur_kzt / usd_kzt); spend_kzt = spend x cur_kzt; zero spend needs no rate;
--     spend with a missing rate raises (private.traffic_missing_rate);
--   * private.traffic_day_rates(currency, day): the (cur_kzt, usd_kzt) pair the conversion takes.
-- All are plain `language sql`, stable, set-returning and without a SET clause, so the planner
-- inlines them into the caller's query: the plans stay the set-based ones they were.
--
-- A missing rate now raises its own SQLSTATE, TS001 (class TS: traffic-sync's own conditions),
-- instead of the generic P0001: aggregate-metrics and traffic-api recognise it by that code
-- (_shared/sqlstate.ts), not by the message text. The message is unchanged.

create or replace function private.traffic_missing_rate(p_currency text, p_day date)
returns numeric
language plpgsql
stable
parallel safe
set search_path = ''
as $$
begin
  raise exception 'missing exchange rate: no % rate on or before %', p_currency, p_day
    using errcode = 'TS001',
      detail = format('public.exchange_rates has no row with currency = %L and rate_date <= %L; '
        'ad spend of that day cannot be converted.', p_currency, p_day),
      hint = 'Run aggregate-metrics (it fetches missing days from the National Bank feed) or '
        'insert the official rate into public.exchange_rates.';
end
$$;
comment on function private.traffic_missing_rate(text, date) is
  'Raises SQLSTATE TS001 "missing exchange rate: no <currency> rate on or before <day>". Used as '
  'the fallback of an effective-rate lookup so metrics are never computed with a guessed rate.';

create or replace function private.traffic_rate_on(p_currency text, p_day date)
returns table (rate_kzt numeric)
language sql
stable
parallel safe
as $$
  select case when p_currency = 'KZT' then 1::numeric
    else (select e.rate_kzt from public.exchange_rates e
          where e.currency = p_currency and e.rate_date <= p_day
          order by e.rate_date desc limit 1)
    end
$$;
comment on function private.traffic_rate_on(text, date) is
  'THE effective exchange rate: KZT for one unit of p_currency on p_day (1 for KZT, else the '
  'latest public.exchange_rates row on or before the day); null when there is none. Inlined '
  'into its callers (plain SQL, no SET clause).';
revoke all on function private.traffic_rate_on(text, date) from public, anon;
grant execute on function private.traffic_rate_on(text, date) to authenticated, service_role;

create or replace function private.traffic_spend_converted(
  p_spend numeric,
  p_currency text,
  p_day date,
  p_cur_kzt numeric,
  p_usd_kzt numeric
)
returns table (spend_usd numeric, spend_kzt numeric)
language sql
stable
parallel safe
as $$
  select
    case when p_spend = 0 then 0::numeric
         when p_currency = 'USD' then p_spend
         else p_spend
           * coalesce(p_cur_kzt, private.traffic_missing_rate(p_currency, p_day))
           / coalesce(p_usd_kzt, private.traffic_missing_rate('USD', p_day))
    end,
    case when p_spend = 0 then 0::numeric
         else p_spend * coalesce(p_cur_kzt, private.traffic_missing_rate(p_currency, p_day))
    end
$$;
comment on function private.traffic_spend_converted(numeric, text, date, numeric, numeric) is
  'THE conversion of one day''s spend in one currency, given that day''s effective rates '
  '(private.traffic_rate_on of the currency and of USD): spend_usd = USD as is, else via KZT '
  '(spend x cur_kzt / usd_kzt); spend_kzt = spend x cur_kzt. Zero spend needs no rate; spend '
  'with a missing rate raises TS001. Inlined into its callers.';
revoke all on function private.traffic_spend_converted(numeric, text, date, numeric, numeric)
  from public, anon;
grant execute on function private.traffic_spend_converted(numeric, text, date, numeric, numeric)
  to authenticated, service_role;

-- The two rates one day's spend in one currency is converted with: the currency's and USD's
-- effective rates (null where there is none; traffic_spend_converted raises if spend needs it).
-- Now plain SQL without a SET clause, so it is inlined like the two above.
create or replace function private.traffic_day_rates(p_currency text, p_day date)
returns table (cur_kzt numeric, usd_kzt numeric)
language sql
stable
parallel safe
as $$
  select (select r.rate_kzt from private.traffic_rate_on(p_currency, p_day) r),
    (select r.rate_kzt from private.traffic_rate_on('USD', p_day) r)
$$;
comment on function private.traffic_day_rates(text, date) is
  'The effective rates (private.traffic_rate_on) of a currency and of USD in KZT on one day, null '
  'where there is none: the cur_kzt / usd_kzt that private.traffic_spend_converted takes.';
