-- Access matrix for Meta's actions and the Meta-leads rollups: traffic_facebook_ad_actions,
-- traffic_meta_leads_by_ad, traffic_meta_leads_daily — (anon, user A, user B, admin,
-- service_role) x (select, insert, update, delete), exactly like traffic_facebook_ads_raw:
-- clients only read (a user their own rows, an admin all of them); the actions are a read-only
-- view of the raw rows' lists (traffic_facebook_ads_raw.actions, since 20261207060204), which
-- only service_role writes, and the rollups are written by their triggers alone.
begin;
select plan(32);
select tests.create_fixture();
-- One lead action per user, on the fixture's raw ad-day (the triggers derive one by-ad and one
-- daily row each).
update public.traffic_facebook_ads_raw set account_id = '900001', actions = '{"lead": [3, null]}'
where user_id = tests.uid('a') and ad_id = 'ad-a' and stat_date = '2000-01-01';
update public.traffic_facebook_ads_raw set account_id = '900002', actions = '{"lead": [4, null]}'
where user_id = tests.uid('b') and ad_id = 'ad-b' and stat_date = '2000-01-01';

-- anon: nothing
select tests.authenticate_as_anon();
select throws_ok($$select * from public.traffic_facebook_ad_actions$$, '42501', null,
  'anon: actions select denied');
select throws_ok($$select * from public.traffic_meta_leads_by_ad$$, '42501', null,
  'anon: by-ad select denied');
select throws_ok($$select * from public.traffic_meta_leads_daily$$, '42501', null,
  'anon: daily select denied');
select throws_ok($$insert into public.traffic_facebook_ad_actions (user_id, ad_id, stat_date, action_type, account_id, value) values (tests.uid('a'), 'ad-a', '2000-01-02', 'lead', '900001', 1)$$,
  '55000', null, 'anon: actions insert denied (a read-only view)');

-- user A: own rows only, no writes
select tests.authenticate_as(tests.uid('a'));
select is((select count(*)::int from public.traffic_facebook_ad_actions where stat_date = '2000-01-01'), 1, 'A: sees own action row only');
select is((select count(*)::int from public.traffic_facebook_ad_actions where user_id <> tests.uid('a')), 0, 'A: no one else''s actions');
select is((select meta_leads::int from public.traffic_meta_leads_by_ad where stat_date = '2000-01-01'), 3, 'A: own by-ad row (3)');
select is((select count(*)::int from public.traffic_meta_leads_by_ad where user_id <> tests.uid('a')), 0, 'A: no one else''s by-ad rows');
select is((select meta_leads::int from public.traffic_meta_leads_daily where stat_date = '2000-01-01'), 3, 'A: own daily row (3)');
select is((select count(*)::int from public.traffic_meta_leads_daily where user_id <> tests.uid('a')), 0, 'A: no one else''s daily rows');
select throws_ok($$insert into public.traffic_facebook_ad_actions (user_id, ad_id, stat_date, action_type, account_id, value) values (tests.uid('a'), 'ad-a', '2000-01-02', 'lead', '900001', 1)$$,
  '55000', null, 'A: actions insert denied');
select throws_ok($$update public.traffic_facebook_ad_actions set value = 9$$, '55000', null, 'A: actions update denied');
select throws_ok($$delete from public.traffic_facebook_ad_actions$$, '55000', null, 'A: actions delete denied');
select throws_ok($$update public.traffic_meta_leads_by_ad set meta_leads = 9$$, '42501', null, 'A: by-ad update denied');
select throws_ok($$delete from public.traffic_meta_leads_daily$$, '42501', null, 'A: daily delete denied');

-- user B: own rows only
select tests.authenticate_as(tests.uid('b'));
select is((select count(*)::int from public.traffic_facebook_ad_actions where stat_date = '2000-01-01'), 1, 'B: sees own action row only');
select is((select meta_leads::int from public.traffic_meta_leads_daily where stat_date = '2000-01-01'), 4, 'B: own daily row (4)');
select is((select count(*)::int from public.traffic_meta_leads_by_ad where user_id <> tests.uid('b')), 0, 'B: no one else''s by-ad rows');
select throws_ok($$update public.traffic_facebook_ad_actions set value = 9$$, '55000', null, 'B: actions update denied');

-- admin: reads all, writes nothing
select tests.authenticate_as(tests.uid('admin'), true);
select is((select count(*)::int from public.traffic_facebook_ad_actions where stat_date = '2000-01-01'), 2, 'admin: sees both action rows');
select is((select count(*)::int from public.traffic_meta_leads_by_ad where stat_date = '2000-01-01'), 2, 'admin: sees both by-ad rows');
select is((select sum(meta_leads)::int from public.traffic_meta_leads_daily where stat_date = '2000-01-01'), 7, 'admin: sees both daily rows (3 + 4)');
select throws_ok($$insert into public.traffic_facebook_ad_actions (user_id, ad_id, stat_date, action_type, account_id, value) values (tests.uid('a'), 'ad-a', '2000-01-02', 'lead', '900001', 1)$$,
  '55000', null, 'admin: actions insert denied');
select throws_ok($$update public.traffic_facebook_ad_actions set value = 9$$, '55000', null, 'admin: actions update denied');
select throws_ok($$delete from public.traffic_facebook_ad_actions$$, '55000', null, 'admin: actions delete denied');
select throws_ok($$insert into public.traffic_meta_leads_daily (user_id, stat_date, meta_leads) values (tests.uid('a'), '2000-01-05', 1)$$,
  '42501', null, 'admin: daily insert denied');

-- service_role: writes the actions (the raw rows' lists); the rollups follow through the triggers
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.traffic_facebook_ad_actions where stat_date = '2000-01-01'), 2, 'service_role: sees both action rows');
select lives_ok($$insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id, campaign_id, adset_id, ad_id, stat_date, spend, actions) values (tests.uid('a'), 'A', '900001', 'c-a', 's-a', 'ad-a', '2000-01-02', 1, '{"lead": [1, null]}')$$,
  'service_role: actions insert allowed');
select is(tests.row_count($$update public.traffic_facebook_ads_raw set actions = jsonb_build_object('lead', jsonb_build_array((actions -> 'lead' ->> 0)::numeric + 1, null)) where account_id in ('900001', '900002')$$), 3,
  'service_role: actions update allowed');
select is((select sum(meta_leads)::int from public.traffic_meta_leads_daily where user_id in (tests.uid('a'), tests.uid('b'))), 11,
  'service_role: the rollup followed the insert and the update (4 + 5 + 2)');
select is(tests.row_count($$update public.traffic_facebook_ads_raw set actions = '{}' where account_id in ('900001', '900002')$$), 3,
  'service_role: actions delete allowed (an emptied list)');
select is((select count(*)::int from public.traffic_meta_leads_daily where user_id in (tests.uid('a'), tests.uid('b'))), 0,
  'service_role: deleting the actions empties the rollups');

select * from finish();
rollback;
