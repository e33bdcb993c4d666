-- Ratios are exact numerics, NULL (never 0, Infinity or NaN) when the divisor is 0; reversed
-- sales are not counted.
begin;
select plan(14);
select tests.agg_fixture();
select public.traffic_aggregate_metrics('Asia/Almaty', '2026-11-09');

create temp table m as select * from public.traffic_aggregated_metrics;
create temp table a7 as select * from m where user_id = tests.agg_user('a') and period = '7d';

select is((select round(roas, 15) from a7), round(100000 / 75300::numeric, 15),
  'roas = total_revenue / spend_kzt');
select is((select cpa_usd from a7), 40::numeric, 'cpa_usd = 160 / 4');
select is((select ctr from a7), 0.02::numeric, 'ctr = 320 / 16000');
select is((select cpc_usd from a7), 0.5::numeric, 'cpc_usd = 160 / 320');
select is((select cpm_usd from a7), 10::numeric, 'cpm_usd = 160 x 1000 / 16000');
select is((select cost_per_lead_usd from a7), 40::numeric, 'cost_per_lead_usd = 160 / 4');
select is((select lead_to_sale_rate from a7), 1::numeric, 'lead_to_sale_rate = 4 / 4');
select is((select total_sales from a7), 4, 'total_sales: prepayment + full + express + intensive');
select is((select challenge3d_revenue from a7), 50000::numeric,
  'challenge3d_revenue = prepayments 10000 + full 40000; the reversed 60000 is not counted');

select is((select roas from m where user_id = tests.agg_user('d') and period = 'today'), null,
  'zero spend: roas is null');
select is((select total_revenue from m where user_id = tests.agg_user('d') and period = 'today'),
  15000::numeric, 'zero spend: revenue still counted');
select is((select cpa_usd from m where user_id = tests.agg_user('c') and period = '30d'), null,
  'zero sales: cpa_usd is null');
select is((select cpc_usd from m where user_id = tests.agg_user('b') and period = 'today'), null,
  'zero clicks: cpc_usd is null');
select is((select count(*)::int from m
           where 'NaN'::numeric in (roas, cpa_usd, ctr, cpc_usd, cpm_usd, cost_per_lead_usd,
                                    lead_to_sale_rate, exchange_rate)), 0,
  'no NaN anywhere');

select * from finish();
rollback;
