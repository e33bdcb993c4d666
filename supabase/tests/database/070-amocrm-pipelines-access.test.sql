-- Access matrix for traffic_amocrm_pipelines: every signed-in user reads the mapping; only an
-- admin (or the service) changes it. A user's forbidden update/delete is filtered by RLS and
-- touches nothing; a forbidden insert raises.
begin;
select plan(21);
select tests.create_fixture();

select tests.authenticate_as_anon();
select throws_ok($$select * from public.traffic_amocrm_pipelines$$, '42501', null, 'anon: select denied');
select throws_ok($$insert into public.traffic_amocrm_pipelines (pipeline_id, product)
  values (990000002, 'express')$$, '42501', null, 'anon: insert denied');
select throws_ok($$update public.traffic_amocrm_pipelines set name = 'x'$$, '42501', null,
  'anon: update denied');
select throws_ok($$delete from public.traffic_amocrm_pipelines$$, '42501', null, 'anon: delete denied');

-- A and B alike: read the mapping; a write raises (insert) or touches nothing (RLS).
select * from tests.as_each(array['a', 'b'],
  $c$select is((select count(*)::int from public.traffic_amocrm_pipelines where name = 'pgtap'),
    1, '{who}: select sees the mapping')$c$,
  $c$select throws_ok($$insert into public.traffic_amocrm_pipelines (pipeline_id, product)
    values (990000002, 'express')$$, '42501', null, '{who}: insert denied')$c$,
  $c$select is(tests.row_count($$update public.traffic_amocrm_pipelines set name = 'x'
    where name = 'pgtap'$$), 0, '{who}: update touches nothing')$c$,
  $c$select is(tests.row_count($$delete from public.traffic_amocrm_pipelines
    where name = 'pgtap'$$), 0, '{who}: delete touches nothing')$c$);

select tests.authenticate_as(tests.uid('admin'), true);
select is((select count(*)::int from public.traffic_amocrm_pipelines where name = 'pgtap'), 1,
  'admin: select sees the mapping');
select is(tests.row_count($$insert into public.traffic_amocrm_pipelines (pipeline_id, name, product,
  prepayment_status_ids) values (990000002, 'pgtap', 'express', '{111}')$$), 1,
  'admin: insert allowed');
select is(tests.row_count($$update public.traffic_amocrm_pipelines
  set full_payment_status_ids = '{142, 143}' where pipeline_id = 990000001$$), 1,
  'admin: update allowed');
select is(tests.row_count($$delete from public.traffic_amocrm_pipelines
  where pipeline_id = 990000002$$), 1, 'admin: delete allowed');

select tests.authenticate_as_service_role();
select is((select count(*)::int from public.traffic_amocrm_pipelines where name = 'pgtap'), 1,
  'service_role: select sees the mapping');
select lives_ok($$insert into public.traffic_amocrm_pipelines (pipeline_id, name, product)
  values (990000003, 'pgtap', 'intensive1d')$$, 'service_role: insert allowed');
select is((select full_payment_status_ids from public.traffic_amocrm_pipelines
  where pipeline_id = 990000003), '{142}'::bigint[], 'full payment defaults to 142 ("won")');
select is(tests.row_count($$update public.traffic_amocrm_pipelines set name = 'pgtap'
  where name = 'pgtap'$$), 2, 'service_role: update allowed');
select is(tests.row_count($$delete from public.traffic_amocrm_pipelines where name = 'pgtap'$$),
  2, 'service_role: delete allowed');

select * from finish();
rollback;
