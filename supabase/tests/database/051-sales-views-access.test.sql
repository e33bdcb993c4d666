-- challenge3d_sales, express_course_sales and intensive1d_sales show the ACTIVE ledger rows of
-- one product with the caller's RLS (security_invoker), and are read-only for every API role.
-- Fixture: A has an active and a reversed challenge3d sale, B an express sale, and an
-- unattributed intensive1d sale belongs to no one.
begin;
select plan(20);
select tests.create_fixture();

create temp view pgtap_counts as
  select (select count(*)::int from public.challenge3d_sales where amocrm_lead_id > 990000000) as c3d,
         (select count(*)::int from public.express_course_sales where amocrm_lead_id > 990000000) as express,
         (select count(*)::int from public.intensive1d_sales where amocrm_lead_id > 990000000) as i1d;
grant select on pgtap_counts to anon, authenticated, service_role;

select tests.authenticate_as_anon();
select throws_ok($$select 1 from public.challenge3d_sales$$, '42501', null, 'anon: challenge3d_sales denied');
select throws_ok($$select 1 from public.express_course_sales$$, '42501', null, 'anon: express_course_sales denied');
select throws_ok($$select 1 from public.intensive1d_sales$$, '42501', null, 'anon: intensive1d_sales denied');

select tests.authenticate_as(tests.uid('a'));
select is((select c3d from pgtap_counts), 1, 'A: own active challenge3d sale, not the reversed one');
select is((select express from pgtap_counts), 0, 'A: not B''s express sale');
select is((select i1d from pgtap_counts), 0, 'A: not the unattributed sale');
select throws_ok($$insert into public.challenge3d_sales (amocrm_lead_id, sale_type, sold_at)
  values (990000010, 'full', now())$$, '42501', null, 'A: writing through a view denied');

select tests.authenticate_as(tests.uid('b'));
select is((select c3d from pgtap_counts), 0, 'B: not A''s challenge3d sale');
select is((select express from pgtap_counts), 1, 'B: own express sale');
select is((select i1d from pgtap_counts), 0, 'B: not the unattributed sale');

select tests.authenticate_as(tests.uid('admin'), true);
select is((select c3d from pgtap_counts), 1, 'admin: active challenge3d sales only');
select is((select express from pgtap_counts), 1, 'admin: every express sale');
select is((select i1d from pgtap_counts), 1, 'admin: the unattributed sale too');

select tests.authenticate_as_service_role();
select is((select c3d from pgtap_counts), 1, 'service_role: active challenge3d sales only');
select is((select express from pgtap_counts), 1, 'service_role: every express sale');
select is((select i1d from pgtap_counts), 1, 'service_role: every intensive1d sale');
select throws_ok($$delete from public.express_course_sales$$, '42501', null,
  'service_role: the views are read-only, writes go to traffic_sales');

-- The seed reads sale_type and sale_amount from the views.
select is((select sale_amount from public.challenge3d_sales where amocrm_lead_id = 990000001),
  5000::numeric, 'sale_amount is exposed');
select is((select sale_type from public.challenge3d_sales where amocrm_lead_id = 990000001),
  'prepayment', 'sale_type is exposed');

reset role;
select is(
  (select array_agg(c.relname::text order by c.relname) from pg_class c
    where c.relname in ('challenge3d_sales', 'express_course_sales', 'intensive1d_sales')
      and c.reloptions @> '{security_invoker=true}'),
  array['challenge3d_sales', 'express_course_sales', 'intensive1d_sales'],
  'all three views are security_invoker');

select * from finish();
rollback;
