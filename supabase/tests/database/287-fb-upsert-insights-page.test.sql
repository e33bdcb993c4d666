-- fb_upsert_insights_page(jsonb) (migration 20261208052700): fb-ads-sync's page write as one
-- JSON object, {p_user_id, p_rows, p_fetched_at?}, so that PostgREST passes the request body to it
-- as it is (a single unnamed jsonb parameter) instead of unpacking it with json_to_recordset. It
-- is fb_upsert_insights with its arguments in one object: the same rows, result and errors. No
-- such function exists before 20261208052700 (every test below fails there).
begin;
select plan(14);
select tests.create_fixture();

create function pg_temp.row(p_ad text, p_spend text, p_actions jsonb default null)
returns jsonb language sql as $$
  select jsonb_strip_nulls(jsonb_build_object('account_id', '900001', 'account_currency', 'USD',
    'campaign_id', 'c-page', 'adset_id', 's-page', 'ad_id', p_ad, 'stat_date', '2000-05-01',
    'spend', p_spend, 'impressions', 100, 'clicks', 5, 'reach', 90, 'actions', p_actions))
$$;
create function pg_temp.body(p_user uuid, p_rows jsonb, p_at text) returns jsonb
language sql as $$
  select jsonb_build_object('p_user_id', p_user, 'p_rows', p_rows, 'p_fetched_at', p_at)
$$;
create function pg_temp.raw(p_user uuid, p_ad text) returns text language sql as $$
  select format('%s|%s|%s|%s|%s|%s|%s|%s', team_name = (select s.team_name
      from public.traffic_targetologist_settings s where s.user_id = p_user), account_id, spend,
      impressions, clicks, reach, synced_at, actions)
  from public.traffic_facebook_ads_raw
  where user_id = p_user and ad_id = p_ad and stat_date = '2000-05-01'
$$;

-- What PostgREST needs to hand it the body: one parameter, unnamed, of type jsonb.
select is(
  (select array_to_string(p.proargtypes::regtype[], ',') || '/' || coalesce(p.proargnames::text, '')
    from pg_proc p where p.oid = 'public.fb_upsert_insights_page(jsonb)'::regprocedure),
  'jsonb/', 'a single unnamed jsonb parameter');
select is(has_function_privilege('service_role', 'public.fb_upsert_insights_page(jsonb)',
    'execute'), true, 'service_role may execute it');
select is(has_function_privilege('authenticated', 'public.fb_upsert_insights_page(jsonb)',
    'execute') or has_function_privilege('anon', 'public.fb_upsert_insights_page(jsonb)',
    'execute'), false, 'anon and users may not');

-- The same page through both: the same count and the same stored row (user a by the page
-- function, user b by fb_upsert_insights).
select is(public.fb_upsert_insights_page(pg_temp.body(tests.uid('a'), jsonb_build_array(
    pg_temp.row('P', '12.34', '{"lead": [2, 6.17]}'), pg_temp.row('Q', '1.5')),
    '2000-05-02 10:00+00')), 2, 'a page of two new ad-days: 2');
select is(public.fb_upsert_insights(tests.uid('b'), jsonb_build_array(
    pg_temp.row('P', '12.34', '{"lead": [2, 6.17]}'), pg_temp.row('Q', '1.5')),
    '2000-05-02 10:00+00'), 2, 'the same page by fb_upsert_insights: 2');
select is(pg_temp.raw(tests.uid('a'), 'P'), pg_temp.raw(tests.uid('b'), 'P'),
  'the same row stored (each with its own settings'' team)');
select is((select meta_leads from public.traffic_meta_leads_by_ad
    where user_id = tests.uid('a') and ad_id = 'P'), 2::numeric, 'its Meta leads follow');
-- Sent again unchanged: nothing written; a newer spend: one row.
select is(public.fb_upsert_insights_page(pg_temp.body(tests.uid('a'), jsonb_build_array(
    pg_temp.row('P', '12.34', '{"lead": [2, 6.17]}'), pg_temp.row('Q', '1.5')),
    '2000-05-02 11:00+00')), 0, 'the same page again: 0');
select is(public.fb_upsert_insights_page(pg_temp.body(tests.uid('a'), jsonb_build_array(
    pg_temp.row('Q', '2.5')), '2000-05-02 12:00+00')), 1, 'a changed spend: 1');
-- No p_fetched_at: now() (as fb_upsert_insights' default).
select is(public.fb_upsert_insights_page(jsonb_build_object('p_user_id', tests.uid('a'),
    'p_rows', jsonb_build_array(pg_temp.row('N', '3')))), 1, 'without p_fetched_at: written');
select is((select synced_at from public.traffic_facebook_ads_raw
    where user_id = tests.uid('a') and ad_id = 'N'), now(), '... at now()');

-- Bad bodies fail with fb_upsert_insights' own errors (PostgREST: 400), writing nothing.
select throws_ok($$select public.fb_upsert_insights_page('[]')$$, '22023', null,
  'an array body: 22023');
select throws_ok($$select public.fb_upsert_insights_page(jsonb_build_object('p_user_id',
    tests.uid('a'), 'p_rows', '{"x": 1}'::jsonb))$$, '22023', null, 'p_rows not an array: 22023');
select throws_ok($$select public.fb_upsert_insights_page(pg_temp.body(tests.uid('a'),
    jsonb_build_array(pg_temp.row('X', '1', '{"lead": [-1, 1]}')), '2000-05-02 13:00+00'))$$,
  '23514', null, 'an invalid action: 23514, as fb_upsert_insights');

select * from finish();
rollback;
