-- fb_upsert_insights takes an ad-day's actions in their stored form, {"<type>": [value, cost]}
-- (what fb-ads-sync sends since 20261207215000), checks it as it is and stores it exactly; the
-- list form [{action_type, value, cost_per_action}] gives the same row. Both are checked by one
-- rule, private.traffic_action_entry_ok. On the code before 20261207215000 an object was not a
-- list: it was left out (the ad-day kept no actions) and nothing in it was checked.
begin;
select plan(24);
select tests.create_fixture();

create function pg_temp.r(p_ad text, p_actions jsonb, p_day text default '2000-04-01')
returns jsonb language sql as $$
  select jsonb_build_object('account_id', '900001', 'account_currency', 'USD',
    'campaign_id', 'c-stored', 'adset_id', 's-stored', 'ad_id', p_ad, 'stat_date', p_day,
    'spend', '10', 'impressions', 100, 'clicks', 5, 'reach', 90, 'actions', p_actions)
$$;
create function pg_temp.up(p_rows jsonb, p_at text default '2000-04-02 10:00+00') returns int
language sql as $$
  select public.fb_upsert_insights(tests.uid('a'), p_rows, p_at::timestamptz)
$$;
create function pg_temp.stored(p_ad text) returns jsonb language sql as $$
  select actions from public.traffic_facebook_ads_raw
  where user_id = tests.uid('a') and ad_id = p_ad and stat_date = '2000-04-01'
$$;
-- One entry in the stored form, refused or not: 23514 names the type.
create function pg_temp.chk(p_actions text) returns int language sql as $$
  select public.fb_upsert_insights(tests.uid('b'),
    jsonb_build_array(pg_temp.r('chk', p_actions::jsonb)), '2000-04-02 08:00+00')
$$;

-- Written as sent, digit for digit (more digits than a double holds), a cost null when none.
select is(pg_temp.up(jsonb_build_array(pg_temp.r('S',
    '{"lead": [12345678901234567890123, 0.1234567890123456789], "link_click": [7, null],
      "leadgen_grouped": [2.50, 4]}'))), 1, 'a stored-form list: one new ad-day');
select is(pg_temp.stored('S'),
  '{"lead": [12345678901234567890123, 0.1234567890123456789], "link_click": [7, null],
    "leadgen_grouped": [2.50, 4]}'::jsonb, 'stored as sent');
select is((select value::text || '/' || cost_per_action::text from public.traffic_facebook_ad_actions
    where user_id = tests.uid('a') and ad_id = 'S' and action_type = 'lead'),
  '12345678901234567890123/0.1234567890123456789', 'the exact decimals read back per type');
select is((select meta_leads from public.traffic_meta_leads_by_ad
    where user_id = tests.uid('a') and ad_id = 'S'), 12345678901234567890123::numeric,
  'its Meta leads follow (the default list''s first type it holds: lead)');

-- The list form of the same actions stores the same row.
select is(pg_temp.up(jsonb_build_array(pg_temp.r('L', jsonb_build_array(
    jsonb_build_object('action_type', 'lead', 'value', '12345678901234567890123',
      'cost_per_action', '0.1234567890123456789'),
    jsonb_build_object('action_type', 'link_click', 'value', '7', 'cost_per_action', null),
    jsonb_build_object('action_type', 'leadgen_grouped', 'value', '2.50',
      'cost_per_action', '4'))))), 1, 'the same actions as a list: one new ad-day');
select is(pg_temp.stored('L'), pg_temp.stored('S'), 'the list form stores the same list');
-- Sent again in the other form, later: nothing differs, nothing is written.
select is(pg_temp.up(jsonb_build_array(pg_temp.r('L',
    '{"leadgen_grouped": [2.5, 4.0], "link_click": [7, null],
      "lead": [12345678901234567890123, 0.1234567890123456789]}')),
    '2000-04-02 11:00+00'), 0, 'the stored form of a list already stored changes nothing');
select is(pg_temp.up(jsonb_build_array(pg_temp.r('E', '{}'))), 1, 'an empty stored list');
select is(pg_temp.stored('E'), '{}'::jsonb, 'is stored as none ({})');
select is(pg_temp.up(jsonb_build_array(pg_temp.r('S', '{"lead": [3, 1]}')),
    '2000-04-02 12:00+00'), 1, 'a newer stored list replaces the old one');
select is(pg_temp.stored('S'), '{"lead": [3, 1]}'::jsonb, 'with exactly its types');

-- The checks, in the stored form.
select lives_ok($$select pg_temp.chk(jsonb_build_object(repeat('a', 200), jsonb_build_array(1, null),
      'offsite_conversion.custom:x-1_Y', jsonb_build_array(0, 0))::text)$$,
  'a type of 200 letters, digits, _ . : -, a value 0 and a cost 0 are accepted');
select throws_ok($$select pg_temp.chk('{"lead ": [1, null]}')$$, '23514',
  'fb_upsert_insights: invalid action (type lead ): a type of 1-200 letters, digits, _ . : -, a value >= 0 and a cost >= 0 are required',
  'a space in a type is refused, and the message names the type');
select throws_ok(format('select pg_temp.chk(%L)', c.actions), '23514', null, c.what)
from (values
  (jsonb_build_object(repeat('a', 201), jsonb_build_array(1, null))::text,
    'a type of 201 characters is refused'),
  ('{"": [1, null]}', 'an empty type is refused'),
  ('{"lead": [-1, null]}', 'a negative value is refused'),
  ('{"lead": [1, -0.5]}', 'a negative cost is refused'),
  ('{"lead": ["1", null]}', 'a value as a string is refused (the stored form holds numbers)'),
  ('{"lead": [1, "0.5"]}', 'a cost as a string is refused'),
  ('{"lead": [null, 1]}', 'a missing value is refused'),
  ('{"lead": [1]}', 'an entry without its cost is refused'),
  ('{"lead": [1, null, 2]}', 'an entry of three numbers is refused'),
  ('{"lead": 1}', 'an entry that is not [value, cost] is refused')) as c(actions, what);
select is((select count(*)::int from public.traffic_facebook_ads_raw
  where user_id = tests.uid('b') and ad_id = 'chk'), 1,
  'a refused page writes nothing (only the accepted one above is stored)');

select * from finish();
rollback;
