-- The dashboard metrics' rate grid (private.traffic_metrics_rows) looks up each (day, currency)
-- rate once and takes each day's USD rate from the grid's USD row (20261207195000), instead of
-- looking USD up again for every currency of the day (private.traffic_day_rates per row: 2k + 3
-- index probes a day for k other currencies, now k + 1). The figures stay the rule's
-- (private.traffic_rate_on: the latest rate on or before the day).
begin;
select plan(3);
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
  (select 10 * (count(*) + 1) + count(*) + 3 from (select distinct currency
     from public.exchange_rates where currency not in ('USD', 'KZT')) as c)::bigint,
  'ten days of rates: one probe per (day, currency) but KZT, plus the currencies'' loose scan '
  '(no second USD probe per currency)');
-- 10 + 11 EUR on the 6th: EUR at 550, USD at 510 (the latest on or before the day).
select is((select spend_kzt from got), (10 * 500 + 11 * 550)::numeric,
  'spend in KZT: each day at its own currency''s rate');
select is((select round(spend_usd, 6) from got), round(10 + 11 * 550 / 510.0, 6),
  'spend in USD: the day''s USD rate from the grid''s USD row');

select * from finish();
rollback;
