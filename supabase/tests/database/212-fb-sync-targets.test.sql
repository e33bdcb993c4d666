-- fb_sync_targets() lists the active targetologists with ad accounts (their token included, for
-- service_role), optionally one; fb_set_token_status() records Meta's verdict on the token the
-- caller names by its SHA-256, and ignores a token the user has since replaced.
begin;
select plan(8);
select tests.create_fixture();
update public.traffic_targetologist_settings
  set fb_ad_accounts = '{act_1}', tracked_campaigns = '{42}' where user_id = tests.uid('a');
-- b has no ad accounts; c is inactive.
select tests.create_user('c');
insert into public.traffic_targetologist_settings (user_id, team_name, fb_ad_accounts, is_active)
  values (tests.uid('c'), 'pgtap C', '{act_3}', false);

select tests.authenticate_as_service_role();
select is((select array_agg(user_id) from public.fb_sync_targets() where team_name like 'pgtap%'),
  array[tests.uid('a')], 'only active users with ad accounts');
select is((select access_token from public.fb_sync_targets(tests.uid('a'))), 'tok-a',
  'service_role gets the token');
select is((select tracked_campaigns from public.fb_sync_targets(tests.uid('a'))), '{42}'::text[],
  'and the tracked campaigns');
select is((select count(*)::int from public.fb_sync_targets(tests.uid('b'))), 0,
  'a user without ad accounts is not a target');

select is(public.fb_set_token_status(tests.uid('a'), encode(sha256('tok-a'), 'hex'), 'invalid'),
  true, 'the verdict on the current token is recorded');
select is((select facebook_token_status || ':' || (facebook_token_status_at is not null)::text
  from public.traffic_targetologist_settings where user_id = tests.uid('a')), 'invalid:true',
  'with the time it was set');
select is(public.fb_set_token_status(tests.uid('a'), encode(sha256('tok-old'), 'hex'), 'ok'),
  false, 'a verdict on a replaced token is ignored');
select throws_ok($$select public.fb_set_token_status(tests.uid('a'), 'x', 'expired')$$, '22023',
  null, 'only ok and invalid are statuses');

select * from finish();
rollback;
