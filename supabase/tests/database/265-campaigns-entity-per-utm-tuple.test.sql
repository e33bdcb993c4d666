-- traffic_campaign_metrics runs the entity step once per distinct (user, utm_content, utm_term,
-- utm_campaign) tuple of the range's leads and sales, not once per conversion
-- (20261207164500): 120 leads and 30 sales of one ad cost a few scans of the raw ad rows, where
-- each conversion cost its own probes before. The answer is the same sums.
begin;
select plan(3);
select tests.create_fixture();

insert into public.traffic_facebook_ads_raw (user_id, account_id, campaign_id, campaign_name,
  adset_id, ad_id, stat_date, spend)
values (tests.uid('a'), 'pgtap', 'tu_c', 'TU', 'tu_s', 'tu_ad', '2000-03-01', 0);
insert into public.traffic_leads (amocrm_lead_id, user_id, created_at, utm_content)
select 990026500 + i, tests.uid('a'), '2000-03-01 06:00+00', 'tu_ad'
from generate_series(1, 120) as i;
insert into public.traffic_sales (amocrm_lead_id, user_id, product, sale_type, sale_amount,
  sold_at, status, utm_content)
select 990026500 + i, tests.uid('a'), 'express', 'full', 1000.05, '2000-03-01 06:00+00',
  'active', 'tu_ad'
from generate_series(1, 30) as i;
analyze public.traffic_facebook_ads_raw;

create temporary table scans_before on commit drop as
select tests.table_scans('public.traffic_facebook_ads_raw') as n;
grant select on scans_before to authenticated;

select tests.authenticate_as(tests.uid('a'));
create temporary table answer on commit drop as
select campaign_id, leads, sales, revenue
from public.traffic_campaign_metrics('2000-03-01', '2000-03-01', 'Asia/Almaty', 'campaign');
reset role;

select results_eq(
  $$select * from answer$$,
  $$values ('tu_c'::text, 120::bigint, 30::bigint, 30001.50::numeric)$$,
  '120 leads and 30 sales of one ad: counted and summed under its campaign');
select cmp_ok(
  tests.table_scans('public.traffic_facebook_ads_raw') - (select n from scans_before), '<',
  30::bigint,
  'the 150 conversions of one UTM tuple cost fewer than 30 scans of the raw ad rows (one entity '
  'step for the tuple, the spend read, the names)');
select ok(
  pg_get_functiondef(
    'private.traffic_campaign_metrics_top(date, date, text, text, uuid, bigint)'::regprocedure)
    ~ 'private\.traffic_attribution_entity\(t\.user_id',
  'the entity step is still private.traffic_attribution_entity, called per tuple');

select * from finish();
rollback;
