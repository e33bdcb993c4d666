-- facebook_access_token is write-only for clients: no role but service_role (and postgres) can
-- read it, not even its owner or an admin; has_facebook_token says whether one is set.
begin;
select plan(14);
select tests.create_fixture();

select is(has_column_privilege('anon', 'public.traffic_targetologist_settings',
  'facebook_access_token', 'select'), false, 'anon has no select on the token column');
select is(has_column_privilege('authenticated', 'public.traffic_targetologist_settings',
  'facebook_access_token', 'select'), false, 'authenticated has no select on the token column');

select tests.authenticate_as_anon();
select throws_ok($$select facebook_access_token from public.traffic_targetologist_settings$$,
  '42501', null, 'anon cannot read the token');

select tests.authenticate_as(tests.uid('a'));
select throws_ok($$select facebook_access_token from public.traffic_targetologist_settings$$,
  '42501', null, 'the owner cannot read their own token');
select throws_ok($$select * from public.traffic_targetologist_settings$$,
  '42501', null, 'select * fails instead of leaking the token');
select throws_ok($$select user_id from public.traffic_targetologist_settings
  where facebook_access_token like 'tok%'$$,
  '42501', null, 'the token cannot be probed through a filter either');
select is(tests.row_count($$update public.traffic_targetologist_settings
  set facebook_access_token = 'new-token', facebook_token_expires_at = '2100-01-01'
  where user_id = tests.uid('a')$$), 1, 'the owner can write a new token');
select is((select has_facebook_token from public.traffic_targetologist_settings), true,
  'has_facebook_token is true after writing one');
select throws_ok($$update public.traffic_targetologist_settings
  set facebook_access_token = facebook_access_token || 'x'$$,
  '42501', null, 'an update cannot read the old token either');
select is(tests.row_count($$update public.traffic_targetologist_settings
  set facebook_access_token = null where user_id = tests.uid('a')$$), 1,
  'the owner can clear the token');
select is((select has_facebook_token from public.traffic_targetologist_settings), false,
  'has_facebook_token is false once cleared');

select tests.authenticate_as(tests.uid('admin'), true);
select throws_ok($$select facebook_access_token from public.traffic_targetologist_settings$$,
  '42501', null, 'an admin cannot read tokens');

select tests.authenticate_as_service_role();
select is((select facebook_access_token from public.traffic_targetologist_settings
  where user_id = tests.uid('b')), 'tok-b', 'service_role reads the token (fb-ads-sync)');

-- A new token makes the sync's verdict on the old one meaningless.
update public.traffic_targetologist_settings set facebook_token_status = 'invalid'
  where user_id = tests.uid('b');
update public.traffic_targetologist_settings set facebook_access_token = 'tok-b2'
  where user_id = tests.uid('b');
select is((select facebook_token_status from public.traffic_targetologist_settings
  where user_id = tests.uid('b')), null, 'a changed token resets facebook_token_status');

select * from finish();
rollback;
