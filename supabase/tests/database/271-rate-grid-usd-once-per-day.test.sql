-- The dashboard metrics' rate grid (private.traffic_metrics_rows) reads each day's USD rate once
-- instead of once for every currency of the day (20261207195000; since 20261207200400 both sides
-- of the pairing come from private.traffic_day_rates: each day's usd_kzt once, each (day,
-- currency)'s cur_kzt alone): k + 2 index probes a day for k other currencies, 2k + 3 before. The
-- figures stay the rule's (private.traffic_rate_on: the latest rate on or before the day).
begin;
select plan(4);
select tests.create_fixture();
insert into public.exchange_rates (rate_date, currency, rate_kzt, source)
values ('2000-01-01', 'EUR', 550, 'pgtap'), ('2000-01-05', 'USD', 510, 'pgtap')
on conflict do nothing;
insert into public.traffic_facebook_ads_raw (user_id, account_id, campaign_id, ad_id, stat_date,
  spend, account_currency)
values (tests.uid('a'), 'pgtap', 'rg_c', 'rg_ad', '2000-01-06', 11, 'EUR');

create temporary table probes (n int, scans bigint) on commit drop;
grant all on probes to authenticated;
create function pg_temp.probes(p_n int)
returns void
language sql
security definer
as $$
  insert into probes
  select p_n, coalesce(sum(pg_stat_get_xact_numscans(i.indexrelid)), 0)
  from pg_index i where i.indrelid = 'public.exchange_rates'::regclass
$$;
grant execute on function pg_temp.probes(int) to authenticated;
create temporary table got (spend_usd numeric, spend_kzt numeric) on commit drop;
grant all on got to authenticated;

select tests.authenticate_as(tests.uid('a'));
select pg_temp.probes(1);
insert into got select m.spend_usd, m.spend_kzt
from private.traffic_metrics_rows('2000-01-01', '2000-01-10', 'Asia/Almaty',
  array[tests.uid('a')], null) as m
where m.user_id = tests.uid('a');
select pg_temp.probes(2);
reset role;

-- k: the currencies ever stored other than USD and KZT (the grid's rows per day are k + 2).
select cmp_ok(
  (select max(scans) - min(scans) from probes),
  '<=',
  (select 10 * (count(*) + 2) + count(*) + 3 from (select distinct currency
     from public.exchange_rates where currency not in ('USD', 'KZT')) as c)::bigint,
  'ten days of rates: one probe per (day, currency) but KZT and one USD probe a day, plus the '
  'currencies'' loose scan (no USD probe per currency)');
-- 10 + 11 EUR on the 6th: EUR at 550, USD at 510 (the latest on or before the day).
select is((select spend_kzt from got), (10 * 500 + 11 * 550)::numeric,
  'spend in KZT: each day at its own currency''s rate');
select is((select round(spend_usd, 6) from got), round(10 + 11 * 550 / 510.0, 6),
  'spend in USD: at the day''s USD rate');

-- One pairing of a rate with the day's USD rate: only traffic_day_rates (and the average-rate
-- API) call the effective-rate rule; the grid pairs through traffic_day_rates (review R8 M2).
select is(
  tests.functions_matching('traffic_rate_on\s*\('),
  array['get_average_exchange_rate', 'traffic_day_rates'],
  'only traffic_day_rates pairs the effective rate with USD (the metrics grid calls it)');

select * from finish();
rollback;
