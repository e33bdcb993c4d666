-- The sales ledger amocrm_process_event() derives: won → one active row in the product's view;
-- lost → reversed; a price change on a won deal → new amount, same sold_at; deleted → reversed;
-- restored → active; prepayment → full; a pipeline not in the mapping → a lead but no sale; a
-- mapping that no longer makes the deal a sale → reversed 'not_a_sale'.
begin;
select plan(12);

insert into public.traffic_amocrm_pipelines (pipeline_id, name, product, prepayment_status_ids)
values (990300001, 'pgtap', 'express', '{5001}');

create function pg_temp.sale(p_lead bigint)
returns text language sql as $$
  select row(product, sale_type, sale_amount, sold_at, status, reversed_at, reversal_reason)::text
  from public.traffic_sales where amocrm_lead_id = p_lead
$$;

select tests.amo_deliver(990340001, tests.amo_event('status', 142, '120000', 60));
select is(pg_temp.sale(990340001), '(express,full,120000,"2024-06-10 06:01:00+00",active,,)',
  'a won deal is one active full sale at its price');
select is(
  (select array_agg(sale_amount::text) from public.express_course_sales
    where amocrm_lead_id = 990340001),
  array['120000'], 'listed once in express_course_sales');
select is(
  (select count(*)::int from public.challenge3d_sales where amocrm_lead_id = 990340001)
    + (select count(*)::int from public.intensive1d_sales where amocrm_lead_id = 990340001),
  0, 'and in no other product view');

select tests.amo_deliver(990340001, tests.amo_event('update', 142, '135000', 90));
select is(pg_temp.sale(990340001), '(express,full,135000,"2024-06-10 06:01:00+00",active,,)',
  'a price change updates the amount, not sold_at');

select tests.amo_deliver(990340001, tests.amo_event('status', 143, '135000', 120));
select is(pg_temp.sale(990340001),
  '(express,full,135000,"2024-06-10 06:01:00+00",reversed,"2024-06-10 06:02:00+00",lost)',
  'won → lost reverses it, keeping what was sold');
select is(
  (select count(*)::int from public.express_course_sales where amocrm_lead_id = 990340001), 0,
  'a reversed sale leaves the view');

select tests.amo_deliver(990340002, tests.amo_event('status', 142, '70000', 60));
select tests.amo_deliver(990340002, tests.amo_event('delete', 142, null, null));
select is(
  (select row(status, reversal_reason, reversed_at is not null)::text from public.traffic_sales
    where amocrm_lead_id = 990340002),
  '(reversed,deleted,t)', 'deleting a won deal reverses it');
select tests.amo_deliver(990340002, tests.amo_event('restore', 142, null, null));
select is(pg_temp.sale(990340002), '(express,full,70000,"2024-06-10 06:01:00+00",active,,)',
  'restoring it brings the sale back');

select tests.amo_deliver(990340003, tests.amo_event('status', 5001, '30000', 60));
select is(pg_temp.sale(990340003), '(express,prepayment,30000,"2024-06-10 06:01:00+00",active,,)',
  'a prepayment status is a prepayment sale');
select tests.amo_deliver(990340003, tests.amo_event('status', 142, '90000', 300));
select is(pg_temp.sale(990340003), '(express,full,90000,"2024-06-10 06:05:00+00",active,,)',
  'moving on to 142 makes it a full sale from then');

select tests.amo_deliver(990340004, tests.amo_event('status', 142, '5000', 60, 990399999));
select is(
  (select row(l.status_id, l.product, s.id)::text from public.traffic_leads l
    left join public.traffic_sales s using (amocrm_lead_id) where l.amocrm_lead_id = 990340004),
  '(142,,)', 'a deal in an unmapped pipeline is a lead without product and without sale');

-- 142 stops counting for the pipeline; the next event of the deal re-derives its row.
update public.traffic_amocrm_pipelines set full_payment_status_ids = '{}'
  where pipeline_id = 990300001;
select tests.amo_deliver(990340002, tests.amo_event('update', 142, '70000', 600));
select is(
  (select row(status, reversal_reason)::text from public.traffic_sales
    where amocrm_lead_id = 990340002),
  '(reversed,not_a_sale)', 'a deal no longer in a sale status under the mapping is reversed');

select * from finish();
rollback;
