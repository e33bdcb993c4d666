-- Access matrix for traffic_meta_lead_settings (which Meta action types count as a lead, per ad
-- account): admins manage every row; a targetologist reads the rows of the ad accounts their
-- settings list (act_ prefix or not) and writes nothing; anon nothing; service_role everything.
-- Plus the shape checks of a lead list.
begin;
select plan(27);
select tests.create_fixture();
update public.traffic_targetologist_settings set fb_ad_accounts = '{act_900001}'
  where user_id = tests.uid('a');
insert into public.traffic_meta_lead_settings (account_id, lead_action_types)
values ('900001', '{lead}'), ('900002', '{offsite_conversion.fb_pixel_lead}');

select tests.authenticate_as_anon();
select throws_ok($$select * from public.traffic_meta_lead_settings$$, '42501', null,
  'anon: select denied');
select throws_ok($$insert into public.traffic_meta_lead_settings (account_id, lead_action_types) values ('900003', '{lead}')$$,
  '42501', null, 'anon: insert denied');

select tests.authenticate_as(tests.uid('a'));
select is((select array_agg(account_id order by account_id) from public.traffic_meta_lead_settings
  where account_id like '90000%'), '{900001}'::text[], 'A: reads the rule of its own ad account only');
select throws_ok($$insert into public.traffic_meta_lead_settings (account_id, lead_action_types) values ('900003', '{lead}')$$,
  '42501', null, 'A: insert denied');
select is(tests.row_count($$update public.traffic_meta_lead_settings set lead_action_types = '{link_click}' where account_id = '900001'$$), 0,
  'A: update changes nothing');
select is(tests.row_count($$delete from public.traffic_meta_lead_settings where account_id = '900001'$$), 0,
  'A: delete removes nothing');

select tests.authenticate_as(tests.uid('b'));
select is((select count(*)::int from public.traffic_meta_lead_settings where account_id like '90000%'), 0,
  'B: reads no rule of accounts that are not its own');
select throws_ok($$insert into public.traffic_meta_lead_settings (account_id, lead_action_types) values ('900003', '{lead}')$$,
  '42501', null, 'B: insert denied');
select is(tests.row_count($$update public.traffic_meta_lead_settings set lead_action_types = '{link_click}'$$), 0,
  'B: update changes nothing');

select tests.authenticate_as(tests.uid('admin'), true);
select is((select count(*)::int from public.traffic_meta_lead_settings where account_id like '90000%'), 2,
  'admin: reads every rule');
select lives_ok($$insert into public.traffic_meta_lead_settings (account_id, lead_action_types) values ('900003', '{lead,onsite_conversion.lead_grouped}')$$,
  'admin: insert allowed');
select is(tests.row_count($$update public.traffic_meta_lead_settings set lead_action_types = '{offsite_conversion.fb_pixel_lead,lead}' where account_id = '900003'$$), 1,
  'admin: update allowed');
select is((select updated_by from public.traffic_meta_lead_settings where account_id = '900003'), tests.uid('admin'),
  'admin: updated_by names the admin who set it');
select is(tests.row_count($$delete from public.traffic_meta_lead_settings where account_id = '900003'$$), 1,
  'admin: delete allowed');
select throws_ok($$insert into public.traffic_meta_lead_settings (account_id, lead_action_types) values ('act_900004', '{lead}')$$,
  '23514', null, 'an account id is digits without act_');
select throws_ok($$insert into public.traffic_meta_lead_settings (account_id, lead_action_types) values ('900004', '{}')$$,
  '23514', null, 'a lead list is not empty');
select throws_ok($$insert into public.traffic_meta_lead_settings (account_id, lead_action_types) values ('900004', array['lead', null])$$,
  '23514', null, 'a lead list holds no null');
select throws_ok($$insert into public.traffic_meta_lead_settings (account_id, lead_action_types) values ('900004', '{"lead; drop"}')$$,
  '23514', null, 'each entry is an action type');
select throws_ok($$insert into public.traffic_meta_lead_settings (account_id, lead_action_types) values ('900004', '{lead,lead}')$$,
  '23514', null, 'no action type twice');
select throws_ok($$insert into public.traffic_meta_lead_settings (account_id, lead_action_types) select '900004', array_agg('t' || g) from generate_series(1, 21) g$$,
  '23514', null, 'at most 20 action types');

select tests.authenticate_as_service_role();
select is((select count(*)::int from public.traffic_meta_lead_settings where account_id like '90000%'), 2,
  'service_role: reads every rule');
select lives_ok($$insert into public.traffic_meta_lead_settings (account_id, lead_action_types) values ('900005', '{lead}')$$,
  'service_role: insert allowed');
select is(tests.row_count($$update public.traffic_meta_lead_settings set lead_action_types = '{leadgen_grouped}' where account_id = '900005'$$), 1,
  'service_role: update allowed');
select is(tests.row_count($$delete from public.traffic_meta_lead_settings where account_id = '900005'$$), 1,
  'service_role: delete allowed');

reset role;
select is(private.traffic_default_meta_lead_types(),
  '{lead,onsite_conversion.lead_grouped,leadgen_grouped,offsite_conversion.fb_pixel_lead}'::text[],
  'the default lead list: Meta''s total first, then instant forms, then the pixel');
select ok(has_function_privilege('authenticated', 'private.owns_ad_account(text)', 'execute'),
  'the policy helper is callable by authenticated');
select ok(not has_function_privilege('anon', 'private.owns_ad_account(text)', 'execute'),
  'but not by anon');

select * from finish();
rollback;
