-- The (currency, day) pairs with spend of an active targetologist whose exact-day rate is not
-- stored: what aggregate-metrics asks the NBK feed for. Reads the daily spend rollup
-- (traffic_spend_daily) instead of every ad-day row; plpgsql so its query may run in parallel.
create or replace function public.traffic_rate_dates_needed(p_from date, p_to date)
returns table (currency text, rate_date date)
language plpgsql
stable
security definer
set search_path = ''
set jit = off
as $$
begin
  return query
  with spend_days as (
    select distinct r.stat_date, r.account_currency
    from public.traffic_spend_daily r
    where r.stat_date between p_from and p_to
      and r.spend <> 0
      and r.user_id in (select s.user_id from public.traffic_targetologist_settings s
                        where s.is_active)
  ),
  needed as (
    -- USD every day (spend_kzt is USD spend x USD rate), plus the account's own currency.
    select 'USD' as currency, d.stat_date as rate_date from spend_days d
    union
    select d.account_currency, d.stat_date from spend_days d
    where d.account_currency not in ('USD', 'KZT')
  )
  select n.currency::text, n.rate_date
  from needed n
  where not exists (select 1 from public.exchange_rates e
                    where e.currency = n.currency and e.rate_date = n.rate_date)
  order by n.rate_date, n.currency;
end
$$;
comment on function public.traffic_rate_dates_needed(date, date) is
  '(currency, rate_date) pairs with spend in [p_from, p_to] whose exact-day rate is not in '
  'exchange_rates: the days aggregate-metrics asks the National Bank feed for.';
revoke all on function public.traffic_rate_dates_needed(date, date)
  from public, anon, authenticated;
grant execute on function public.traffic_rate_dates_needed(date, date) to service_role;
