-- A targetologist edits only their ad accounts, campaigns, utm_sources and token; team_name and
-- is_active belong to the admin; user_id, facebook_token_status and the timestamps to the service.
begin;
select plan(9);
select tests.create_fixture();

select tests.authenticate_as(tests.uid('a'));
select throws_ok($$update public.traffic_targetologist_settings set team_name = 'mine'$$,
  '42501', null, 'a user cannot rename their team');
select throws_ok($$update public.traffic_targetologist_settings set is_active = false$$,
  '42501', null, 'a user cannot deactivate themselves');
select throws_ok($$update public.traffic_targetologist_settings set user_id = tests.uid('b')$$,
  '42501', null, 'a user cannot move their row to another user');
select throws_ok($$update public.traffic_targetologist_settings set facebook_token_status = 'ok'$$,
  '42501', null, 'a user cannot set the token status');
select throws_ok($$update public.traffic_targetologist_settings set updated_at = now()$$,
  '42501', null, 'a user cannot set updated_at');
select is(tests.row_count($$update public.traffic_targetologist_settings
  set team_name = team_name, is_active = is_active, utm_sources = '{fb_a}'$$), 1,
  'rewriting team_name/is_active unchanged is allowed (a form that sends every field)');

select tests.authenticate_as(tests.uid('admin'), true);
select is(tests.row_count($$update public.traffic_targetologist_settings
  set team_name = 'pgtap A renamed', is_active = false where user_id = tests.uid('a')$$), 1,
  'an admin renames and deactivates a team');
select throws_ok($$update public.traffic_targetologist_settings set user_id = tests.uid('b')
  where user_id = tests.uid('a')$$, '42501', null, 'not even an admin re-keys a row');

select tests.authenticate_as_service_role();
select is(tests.row_count($$update public.traffic_targetologist_settings
  set team_name = 'pgtap B renamed' where user_id = tests.uid('b')$$), 1,
  'service_role changes any column');

select * from finish();
rollback;
