-- fb_fan_out() queues, in one statement, one pg_net POST of fb-ads-sync per active targetologist
-- with ad accounts, carrying the caller's body plus that user's id. (Rolled back: nothing is sent.)
begin;
select plan(4);
select tests.create_fixture();
update public.traffic_targetologist_settings set fb_ad_accounts = '{act_1}'
  where user_id in (tests.uid('a'), tests.uid('b'));
select set_config('pgtap.max_id', coalesce((select max(id) from net.http_request_queue), 0)::text,
  true);
select set_config('pgtap.expected', (select count(*) from public.traffic_targetologist_settings
  where is_active and cardinality(fb_ad_accounts) > 0)::text, true);

select is(public.fb_fan_out('{"triggered_by": "cron"}'),
  current_setting('pgtap.expected')::int, 'returns how many invocations it queued');
select is((select count(*)::int from net.http_request_queue
    where id > current_setting('pgtap.max_id')::bigint and url like '%/functions/v1/fb-ads-sync'),
  current_setting('pgtap.expected')::int, 'one request per target');
select ok(exists(select 1 from net.http_request_queue
    where id > current_setting('pgtap.max_id')::bigint
      and convert_from(body, 'UTF8')::jsonb
        = jsonb_build_object('triggered_by', 'cron', 'user_id', tests.uid('a'))),
  'the body is the caller''s plus the user_id');
select is((select count(*)::int from net.http_request_queue
    where id > current_setting('pgtap.max_id')::bigint
      and convert_from(body, 'UTF8')::jsonb ->> 'user_id' = tests.uid('b')::text), 1,
  'every target gets exactly one');

select * from finish();
rollback;
