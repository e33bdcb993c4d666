-- amocrm_process_event() converges: every delivery order of a deal's events (all 120 orders of
-- five events, all 24 orders of four events with delete/restore), and every order with repeats,
-- ends in the same lead row and ledger row as the one ordered delivery.
begin;
select plan(12);

insert into public.traffic_amocrm_pipelines (pipeline_id, name, product, prepayment_status_ids)
values (990300001, 'pgtap', 'challenge3d', '{5001}');

-- A deal's life: new → prepayment → won → price change → lost.
create temp table life as select array[
  tests.amo_event('add', 1, '0', 0),
  tests.amo_event('status', 5001, '50000', 60),
  tests.amo_event('status', 142, '150000', 120),
  tests.amo_event('update', 142, '160000', 180),
  tests.amo_event('status', 143, '160000', 240)] as evs;

create temp table orders as
  with recursive perm(p) as (
    select array[]::int[]
    union all
    select p || i from perm, generate_series(1, 5) i where not i = any (p)
  )
  select row_number() over (order by p) as k, p from perm where cardinality(p) = 5;

select is((select count(*)::int from orders), 120, 'all 120 orders of five events');

select is(tests.amo_deliver_all(990300000, (select evs from life)), 0,
  'the ordered delivery is processed');
select is(tests.amo_state(990300000),
  '(143,160000,f,challenge3d,fb,"2024-06-10 06:00:00+00","2024-06-10 06:04:00+00",challenge3d,full,160000,"2024-06-10 06:02:00+00",reversed,"2024-06-10 06:04:00+00",lost)',
  'the ordered delivery: a full sale of 160000 from 06:02, reversed as lost at 06:04');

select is(
  (select sum(tests.amo_deliver_all(990310000 + k, tests.amo_pick(evs, p)))::int
    from orders, life),
  0, 'so are the 120 shuffled deliveries');

select is(
  (select array_agg(distinct tests.amo_state(990310000 + k)) from orders),
  array[tests.amo_state(990300000)],
  'every one of the 120 orders ends in the ordered state');

-- The first four only (still won), each delivered twice, in reverse and interleaved orders.
select is(tests.amo_deliver_all(990320001, (select evs[1:4] from life)), 0,
  'the first four in order are processed');
select is(
  tests.amo_deliver_all(990320002, (select tests.amo_pick(evs, '{4,4,3,1,2,3,1,2}') from life)),
  0, 'so are the repeats');
select is(tests.amo_state(990320002), tests.amo_state(990320001),
  'repeats in any order change nothing');
select is((select row(status, sale_amount, sold_at)::text from public.traffic_sales
    where amocrm_lead_id = 990320002),
  '(active,160000,"2024-06-10 06:02:00+00")', 'and the won deal is active at its last price');

-- Delete and restore carry no time: all 24 orders of add, won, delete, restore agree.
create temp table gone as select array[
  tests.amo_event('add', 1, '10', 0),
  tests.amo_event('status', 142, '90000', 30),
  tests.amo_event('delete', 142, null, null),
  tests.amo_event('restore', 142, null, null)] as evs;
select is(
  (select sum(tests.amo_deliver_all(990330000 + k, tests.amo_pick(evs, p[1:4])))::int
    from orders, gone where not 5 = any (p[1:4])),
  0, 'the 24 orders of add/won/delete/restore are processed');
select is(
  (select count(distinct tests.amo_state(990330000 + k))::int from orders
    where not 5 = any (p[1:4])),
  1, 'all 24 orders of add/won/delete/restore agree');
select is(
  (select row(s.status, l.is_deleted)::text from public.traffic_sales s
    join public.traffic_leads l using (amocrm_lead_id)
    where s.amocrm_lead_id = (select 990330000 + min(k) from orders where not 5 = any (p[1:4]))),
  '(active,f)', 'a restored won deal is an active sale');

select * from finish();
rollback;
