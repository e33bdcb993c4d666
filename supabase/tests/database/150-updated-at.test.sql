-- updated_at follows every update, whoever writes and whether or not they set it.
begin;
select plan(5);
select tests.create_fixture();

-- Make the fixture's rows look old, then touch one column of each.
alter table public.traffic_targetologist_settings disable trigger set_updated_at;
alter table public.traffic_leads disable trigger set_updated_at;
alter table public.traffic_sales disable trigger set_updated_at;
alter table public.traffic_amocrm_pipelines disable trigger set_updated_at;
alter table public.traffic_aggregated_metrics disable trigger set_updated_at;
update public.traffic_targetologist_settings set updated_at = '2000-01-01';
update public.traffic_leads set updated_at = '2000-01-01';
update public.traffic_sales set updated_at = '2000-01-01';
update public.traffic_amocrm_pipelines set updated_at = '2000-01-01';
update public.traffic_aggregated_metrics set updated_at = '2000-01-01';
alter table public.traffic_targetologist_settings enable trigger set_updated_at;
alter table public.traffic_leads enable trigger set_updated_at;
alter table public.traffic_sales enable trigger set_updated_at;
alter table public.traffic_amocrm_pipelines enable trigger set_updated_at;
alter table public.traffic_aggregated_metrics enable trigger set_updated_at;

select tests.authenticate_as(tests.uid('a'));
update public.traffic_targetologist_settings set utm_sources = '{x}';
select is((select updated_at from public.traffic_targetologist_settings), now(),
  'settings: a user''s update refreshes updated_at');

select tests.authenticate_as_service_role();
update public.traffic_leads set is_deleted = true where amocrm_lead_id = 990000001;
select is((select updated_at from public.traffic_leads where amocrm_lead_id = 990000001), now(),
  'leads');
update public.traffic_sales set status = 'reversed', updated_at = '1999-01-01'
  where amocrm_lead_id = 990000001;
select is((select updated_at from public.traffic_sales where amocrm_lead_id = 990000001), now(),
  'sales (even when the writer sets an old value)');
update public.traffic_amocrm_pipelines set name = 'pgtap2' where pipeline_id = 990000001;
select is((select updated_at from public.traffic_amocrm_pipelines where pipeline_id = 990000001),
  now(), 'pipelines');
update public.traffic_aggregated_metrics set roas = 2 where user_id = tests.uid('a');
select is((select updated_at from public.traffic_aggregated_metrics where user_id = tests.uid('a')),
  now(), 'aggregated metrics');

select * from finish();
rollback;
