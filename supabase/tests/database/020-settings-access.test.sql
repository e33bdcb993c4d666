-- Access matrix for traffic_targetologist_settings: (anon, user A, user B, admin, service_role) x
-- (select, insert, update, delete). A user reads and edits their own row; an admin reads every
-- row, onboards (inserts) and edits any row; nobody but service_role deletes (offboarding is
-- is_active = false). Columns are listed: the token column is not selectable (021).
begin;
select plan(23);
select tests.create_fixture();
select tests.create_user('c');  -- the targetologist the admin onboards

-- anon: no grant at all
select tests.authenticate_as_anon();
select throws_ok($$select user_id from public.traffic_targetologist_settings$$,
  '42501', null, 'anon: select denied');
select throws_ok($$insert into public.traffic_targetologist_settings (user_id, team_name)
  values (tests.uid('c'), 'pgtap C')$$, '42501', null, 'anon: insert denied');
select throws_ok($$update public.traffic_targetologist_settings set utm_sources = '{x}'$$,
  '42501', null, 'anon: update denied');
select throws_ok($$delete from public.traffic_targetologist_settings$$,
  '42501', null, 'anon: delete denied');

-- user A: own row only
select tests.authenticate_as(tests.uid('a'));
select is((select array_agg(user_id) from public.traffic_targetologist_settings),
  array[tests.uid('a')], 'A: select sees exactly own row');
select throws_ok($$insert into public.traffic_targetologist_settings (user_id, team_name)
  values (tests.uid('c'), 'pgtap C')$$, '42501', null, 'A: insert denied (admins onboard)');
select is(tests.row_count($$update public.traffic_targetologist_settings
  set fb_ad_accounts = '{act_1}', tracked_campaigns = '{1}', utm_sources = '{fb_a}'
  where user_id = tests.uid('a')$$), 1, 'A: update own row allowed');
select is(tests.row_count($$update public.traffic_targetologist_settings
  set utm_sources = '{stolen}' where user_id = tests.uid('b')$$), 0,
  'A: update of B''s row touches nothing');
select is((select utm_sources from public.traffic_targetologist_settings), '{fb_a}'::text[],
  'A: reads back own update');
select throws_ok($$delete from public.traffic_targetologist_settings$$,
  '42501', null, 'A: delete denied');

-- user B: the mirror image
select tests.authenticate_as(tests.uid('b'));
select is((select array_agg(user_id) from public.traffic_targetologist_settings),
  array[tests.uid('b')], 'B: select sees exactly own row');
select throws_ok($$insert into public.traffic_targetologist_settings (user_id, team_name)
  values (tests.uid('c'), 'pgtap C')$$, '42501', null, 'B: insert denied (admins onboard)');
select is((select utm_sources from public.traffic_targetologist_settings), '{}'::text[],
  'B: own row untouched by A''s attempt');
select is(tests.row_count($$update public.traffic_targetologist_settings
  set utm_sources = '{stolen}' where user_id = tests.uid('a')$$), 0,
  'B: update of A''s row touches nothing');
select throws_ok($$delete from public.traffic_targetologist_settings$$,
  '42501', null, 'B: delete denied');

-- admin: every row; onboards and edits, never deletes
select tests.authenticate_as(tests.uid('admin'), true);
select is((select count(*)::int from public.traffic_targetologist_settings
  where team_name like 'pgtap%'), 2, 'admin: select sees every row');
select is(tests.row_count($$insert into public.traffic_targetologist_settings
  (user_id, team_name, fb_ad_accounts) values (tests.uid('c'), 'pgtap C', '{act_c}')$$), 1,
  'admin: insert (onboarding) allowed');
select is(tests.row_count($$update public.traffic_targetologist_settings
  set team_name = 'pgtap B2', is_active = false where user_id = tests.uid('b')$$), 1,
  'admin: update of any row allowed');
select throws_ok($$delete from public.traffic_targetologist_settings$$,
  '42501', null, 'admin: delete denied');

-- service_role: everything
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.traffic_targetologist_settings
  where team_name like 'pgtap%'), 3, 'service_role: select sees every row');
select lives_ok($$insert into public.traffic_targetologist_settings (user_id, team_name)
  values (tests.create_user('d'), 'pgtap D')$$, 'service_role: insert allowed');
select is(tests.row_count($$update public.traffic_targetologist_settings
  set facebook_token_status = 'ok' where team_name like 'pgtap%'$$), 4,
  'service_role: update allowed');
select is(tests.row_count($$delete from public.traffic_targetologist_settings
  where team_name like 'pgtap%'$$), 4, 'service_role: delete allowed');

select * from finish();
rollback;
