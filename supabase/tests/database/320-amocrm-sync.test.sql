-- amocrm-sync's SQL: amocrm_sync_apply() feeds API-read events into the same lead-event log as
-- the webhooks (one lead, one ledger row whichever path told us; re-applying changes nothing; a
-- sale reversed only in the CRM is reversed), refuses malformed input before any work, and is
-- for service_role only; amocrm_sync_record() never moves a watermark back; the health view
-- counts disabled webhooks and token days; the cron job runs every 10 minutes.
begin;
select plan(17);

insert into public.traffic_amocrm_pipelines (pipeline_id, name, product)
values (990320001, 'pgtap sync', 'express');

create function pg_temp.api(p_lead bigint, p_action text, p_status int, p_price text, p_at int,
  p_ref text)
returns jsonb language sql as $$
  select tests.amo_event(p_action, p_status, p_price, p_at, 990320001)
    || jsonb_build_object('leadId', p_lead::text, 'source', 'api', 'ref', p_ref)
$$;
create function pg_temp.sale(p_lead bigint)
returns text language sql as $$
  select row(sale_type, sale_amount, sold_at, status, reversal_reason)::text
  from public.traffic_sales where amocrm_lead_id = p_lead
$$;

-- A webhook delivered the won deal; the API reads the same state.
select tests.amo_deliver(990360001, tests.amo_event('status', 142, '50000', 60, 990320001));
select is(
  (public.amocrm_sync_apply(jsonb_build_array(
    pg_temp.api(990360001, 'update', 142, '50000', 60, 'lead:60'))) -> 'changed_sale_ids'),
  '[]'::jsonb, 'the API reading what a webhook delivered changes no ledger row');
select is((select count(*)::int from public.traffic_sales where amocrm_lead_id = 990360001), 1,
  'one lead, one ledger row');

-- Moved to lost only in the CRM.
select is(
  (public.amocrm_sync_apply(jsonb_build_array(
    pg_temp.api(990360001, 'status', 143, null, 600, 'event:x1'))) -> 'changed_sale_ids'),
  '[990360001]'::jsonb, 'a status change only the API saw changes the ledger row');
select is(pg_temp.sale(990360001), '(full,50000,"2024-06-10 06:01:00+00",reversed,lost)',
  'the sale is reversed as lost, amount and sold_at kept');
select is(
  (public.amocrm_sync_apply(jsonb_build_array(
    pg_temp.api(990360001, 'status', 143, null, 600, 'event:x1'))) -> 'inserted')::int,
  0, 're-applying the same API event inserts nothing');

-- A deal only the API knows, created won.
select is(
  (public.amocrm_sync_apply(jsonb_build_array(
    pg_temp.api(990360002, 'add', 142, '70000', 10, 'lead-created:10'),
    pg_temp.api(990360002, 'update', 142, '70000', 20, 'lead:20'))) -> 'changed_lead_ids'),
  '[990360002]'::jsonb, 'a deal the webhooks never delivered is restored');
select is(pg_temp.sale(990360002), '(full,70000,"2024-06-10 06:00:10+00",active,)',
  'its sale dates from its creation');
-- The deletion, untimed as a webhook delivers it, then the restore.
select public.amocrm_sync_apply(jsonb_build_array(jsonb_build_object('leadId', '990360002',
  'action', 'delete', 'source', 'api', 'ref', 'event:d1', 'customFields', '[]'::jsonb,
  'utm', '{}'::jsonb)));
select is(pg_temp.sale(990360002), '(full,70000,"2024-06-10 06:00:10+00",reversed,deleted)',
  'deleted in the CRM: reversed');
select public.amocrm_sync_apply(jsonb_build_array(jsonb_build_object('leadId', '990360002',
  'action', 'restore', 'source', 'api', 'ref', 'event:r1', 'customFields', '[]'::jsonb,
  'utm', '{}'::jsonb)));
select is(pg_temp.sale(990360002), '(full,70000,"2024-06-10 06:00:10+00",active,)',
  'restored: active again');

-- Malformed input is refused before any work.
select throws_ok($$select public.amocrm_sync_apply('{}'::jsonb)$$, '22023', null,
  'not an array: 22023');
select throws_ok(
  $$select public.amocrm_sync_apply(jsonb_build_array(jsonb_build_object('leadId', '1',
    'action', 'status')))$$, '22023', null, 'an event without source "api": 22023');
select throws_ok(
  $$select public.amocrm_sync_apply((select jsonb_agg(jsonb_build_object('leadId', '1',
    'action', 'update', 'source', 'api', 'ref', i::text)) from generate_series(1, 1001) i))$$,
  '22023', null, 'more than 1000 events: 22023');

select ok(
  not has_function_privilege('authenticated', 'public.amocrm_sync_apply(jsonb)', 'execute')
    and not has_function_privilege('anon', 'public.amocrm_sync_record(text, jsonb)', 'execute')
    and not has_function_privilege('authenticated', 'public.amocrm_sync_health()', 'execute')
    and has_function_privilege('service_role', 'public.amocrm_sync_apply(jsonb)', 'execute'),
  'the sync functions are for service_role only');

-- Bookkeeping: watermarks only move forward; health counts.
delete from private.amocrm_sync_state;
select public.amocrm_sync_record('pgtap', jsonb_build_object(
  'leads_watermark', '2026-01-02T00:00:00Z', 'missed', 3,
  'token_expires_at', (now() + interval '10 days 1 hour')::text,
  'webhooks', '[{"id": 1, "destination": "https://x/amocrm-webhook", "disabled": true},
                {"id": 2, "destination": "https://y", "disabled": false}]'::jsonb));
select public.amocrm_sync_record('pgtap', jsonb_build_object(
  'leads_watermark', '2026-01-01T00:00:00Z', 'missed', 2));
select is((select leads_watermark from private.amocrm_sync_state where account = 'pgtap'),
  timestamptz '2026-01-02T00:00:00Z', 'an older watermark does not move it back');
select results_eq(
  $$select webhooks_total, webhooks_disabled, token_days_left, missed_last_run, missed_total
    from public.amocrm_sync_health() where account = 'pgtap'$$,
  $$values (2, 1, 10, 2, 5::bigint)$$,
  'health: webhooks, disabled ones, token days left, missed (last run, total)');
select throws_ok($$select public.amocrm_sync_record('Bad Account!', '{}')$$, '22023', null,
  'an invalid account key: 22023');

select is((select schedule from cron.job where jobname = 'amocrm-sync'), '3-59/10 * * * *',
  'amocrm-sync runs every 10 minutes (at :03, :13, ...)');

select * from finish();
rollback;
