-- Closed vocabularies are enforced by the database, not only by the writers.
begin;
select plan(10);
select tests.create_fixture();

select throws_ok($$insert into public.traffic_sales (amocrm_lead_id, product, sale_type, sold_at)
  values (990000020, 'webinar', 'full', now())$$, '23514', null, 'sales: unknown product');
select throws_ok($$insert into public.traffic_sales (amocrm_lead_id, product, sale_type, sold_at)
  values (990000020, 'express', 'Prepayment', now())$$, '23514', null,
  'sales: sale_type is lowercase prepayment/full');
select throws_ok($$update public.traffic_sales set status = 'deleted'
  where amocrm_lead_id = 990000001$$, '23514', null, 'sales: status is active/reversed');
select throws_ok($$update public.traffic_sales set attributed_by = 'guess'
  where amocrm_lead_id = 990000001$$, '23514', null, 'sales: attributed_by vocabulary');
select throws_ok($$update public.traffic_leads set product = 'webinar'
  where amocrm_lead_id = 990000001$$, '23514', null, 'leads: unknown product');
select lives_ok($$update public.traffic_leads set product = null, attributed_by = 'adset'
  where amocrm_lead_id = 990000001$$, 'leads: product may be null, adset is a valid match');
select throws_ok($$update public.traffic_amocrm_events set status = 'done'$$, '23514', null,
  'events: status vocabulary');
select throws_ok($$update public.traffic_amocrm_pipelines set product = 'webinar'$$, '23514', null,
  'pipelines: unknown product');
select throws_ok($$update public.exchange_rates set rate_kzt = 0 where source = 'pgtap'$$,
  '23514', null, 'rates: rate_kzt > 0');
select throws_ok($$update public.traffic_aggregated_metrics set period = '90d'
  where team_name like 'pgtap%'$$, '23514', null, 'metrics: period is today/7d/30d');

select * from finish();
rollback;
