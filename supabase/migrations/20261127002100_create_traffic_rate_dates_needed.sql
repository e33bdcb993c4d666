-- Which (currency, day) rates aggregate-metrics should fetch: days on which an active
-- targetologist has non-zero spend and the rate of that exact day is not stored yet. Days the
-- source never publishes (weekends, holidays) stay listed; the metrics then use the latest
-- earlier rate, and the run's history says so.
create or replace function public.traffic_rate_dates_needed(p_from date, p_to date)
returns table (currency text, rate_date date)
language sql
stable
security definer
set search_path = ''
as $$
  with spend_days as (
    select distinct r.stat_date, upper(r.account_currency) as account_currency
    from public.traffic_facebook_ads_raw r
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
  select n.currency, n.rate_date
  from needed n
  where not exists (select 1 from public.exchange_rates e
                    where e.currency = n.currency and e.rate_date = n.rate_date)
  order by n.rate_date, n.currency
$$;
comment on function public.traffic_rate_dates_needed(date, date) is
  '(currency, rate_date) pairs with spend in [p_from, p_to] whose exact-day rate is not in '
  'exchange_rates: the days aggregate-metrics asks the National Bank feed for.';
revoke all on function public.traffic_rate_dates_needed(date, date)
  from public, anon, authenticated;
grant execute on function public.traffic_rate_dates_needed(date, date) to service_role;
