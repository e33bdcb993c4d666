-- fb_upsert_insights compares each ad-day of a page with its stored rows (one probe per key) and
-- writes only the difference; these pin the edges of that comparison, and the action-type check
-- (20261207025620 and its validation: same accepted strings as the regex with a bounded repetition
-- it replaced).
begin;
select plan(28);
select tests.create_fixture();

create function pg_temp.r(p_ad text, p_day text, p_actions jsonb, p_spend text default '10',
  p_account text default '900001')
returns jsonb language sql as $$
  select jsonb_build_object('account_id', p_account, 'account_currency', 'USD',
    'campaign_id', 'c-diff', 'adset_id', 's-diff', 'ad_id', p_ad, 'stat_date', p_day,
    'spend', p_spend, 'impressions', 100, 'clicks', 5, 'reach', 90, 'actions', p_actions)
$$;
create function pg_temp.a(p_type text, p_value text, p_cost text default null)
returns jsonb language sql as $$
  select jsonb_build_object('action_type', p_type, 'value', p_value, 'cost_per_action', p_cost)
$$;
-- The stored actions of one ad-day of user a: type=value/cost@synced hour, in type order.
create function pg_temp.acts(p_ad text) returns text language sql as $$
  select string_agg(action_type || '=' || value || '/' || coalesce(cost_per_action::text, '-')
    || '/' || account_id || '@' || to_char(synced_at at time zone 'UTC', 'HH24'), ','
    order by action_type)
  from public.traffic_facebook_ad_actions where user_id = tests.uid('a') and ad_id = p_ad
$$;
create function pg_temp.up(p_rows jsonb, p_at text) returns int language sql as $$
  select public.fb_upsert_insights(tests.uid('a'), p_rows, p_at::timestamptz)
$$;

-- The action checks (the old table's, made by fb_upsert_insights since 20261207060204): a type of
-- 1-200 letters, digits and _ . : -, a value given and >= 0, a cost >= 0 when given.
create function pg_temp.chk(p_type text, p_value text default '1', p_cost text default null)
returns int language sql as $$
  select public.fb_upsert_insights(tests.uid('b'), jsonb_build_array(
    pg_temp.r('chk', '2000-03-01', jsonb_build_array(pg_temp.a(p_type, p_value, p_cost)))),
    '2000-03-02 08:00+00')
$$;
select lives_ok($$select public.fb_upsert_insights(tests.uid('b'), jsonb_build_array(
    pg_temp.r('chk', '2000-03-01', jsonb_build_array(pg_temp.a(repeat('a', 200), '1'),
      pg_temp.a('offsite_conversion.custom:x-1_Y', '1')))), '2000-03-02 08:00+00')$$,
  'type check: 200 characters of letters, digits, _ . : - are accepted');
select throws_ok($$select pg_temp.chk(repeat('a', 201))$$, '23514', null,
  'type check: 201 characters are refused');
select throws_ok($$select pg_temp.chk('')$$, '23514', null, 'type check: an empty type is refused');
select throws_ok($$select pg_temp.chk('lead ')$$, '23514', null, 'type check: a space is refused');
select throws_ok($$select pg_temp.chk(E'lead\n')$$, '23514', null,
  'type check: a trailing newline is refused');
select throws_ok($$select pg_temp.chk('lead', '-1')$$, '23514', null,
  'value check: a negative value is refused');
select throws_ok($$select pg_temp.chk('lead', null)$$, '23514', null,
  'value check: a missing value is refused');
select throws_ok($$select pg_temp.chk('lead', '1', '-0.5')$$, '23514', null,
  'cost check: a negative cost is refused');
select is((select count(*)::int from public.traffic_facebook_ad_actions
  where user_id = tests.uid('b') and ad_id = 'chk'), 2, 'a refused page writes nothing');

select is((select convalidated from pg_constraint
  where conname = 'traffic_facebook_ads_raw_actions_check'), true,
  'the list''s shape check is validated: it holds for the rows stored before it too, not only new ones');

-- 10:00: P with three types, Q with one.
select is(pg_temp.up(jsonb_build_array(
    pg_temp.r('P', '2000-03-01', jsonb_build_array(pg_temp.a('lead', '3', '1.5'),
      pg_temp.a('link_click', '9'), pg_temp.a('leadgen_grouped', '2'))),
    pg_temp.r('Q', '2000-03-01', jsonb_build_array(pg_temp.a('lead', '1')))), '2000-03-02 10:00+00'),
  2, 'two new ad-days');

-- 11:00: the same values written differently (3.0 for 3, types in another order): nothing.
select is(pg_temp.up(jsonb_build_array(
    pg_temp.r('P', '2000-03-01', jsonb_build_array(pg_temp.a('link_click', '9.0'),
      pg_temp.a('leadgen_grouped', '2'), pg_temp.a('lead', '3.00', '1.50')))), '2000-03-02 11:00+00'),
  0, 'equal numbers in another order change nothing');
select is(pg_temp.acts('P'), 'lead=3/1.5/900001@10,leadgen_grouped=2/-/900001@10,link_click=9/-/900001@10',
  'and nothing is rewritten');

-- 12:00: only a cost appears on one type, another loses its cost.
select is(pg_temp.up(jsonb_build_array(
    pg_temp.r('P', '2000-03-01', jsonb_build_array(pg_temp.a('lead', '3'),
      pg_temp.a('link_click', '9', '0.5'), pg_temp.a('leadgen_grouped', '2')))), '2000-03-02 12:00+00'),
  1, 'a changed cost changes the ad-day');
select is(pg_temp.acts('P'), 'lead=3/-/900001@12,leadgen_grouped=2/-/900001@12,link_click=9/0.5/900001@12',
  'both costs are updated; the list is one value, so every type carries its synced_at');

-- 13:00: the ad moved to another account (same values).
select is(pg_temp.up(jsonb_build_array(
    pg_temp.r('P', '2000-03-01', jsonb_build_array(pg_temp.a('lead', '3'),
      pg_temp.a('link_click', '9', '0.5'), pg_temp.a('leadgen_grouped', '2')), '10', '900002')),
  '2000-03-02 13:00+00'), 1, 'a changed account changes the ad-day');
select is(pg_temp.acts('P'), 'lead=3/-/900002@13,leadgen_grouped=2/-/900002@13,link_click=9/0.5/900002@13',
  'every row names the new account');

-- 14:00: the raw row changes (spend), the actions do not: one ad-day, actions untouched.
select is(pg_temp.up(jsonb_build_array(
    pg_temp.r('Q', '2000-03-01', jsonb_build_array(pg_temp.a('lead', '1')), '12.50')),
  '2000-03-02 14:00+00'), 1, 'a changed spend alone counts its ad-day once');
select is(pg_temp.acts('Q'), 'lead=1/-/900001@10', 'its unchanged actions are not rewritten');
select is((select spend::text || '@' || to_char(synced_at at time zone 'UTC', 'HH24')
  from public.traffic_facebook_ads_raw where user_id = tests.uid('a') and ad_id = 'Q'),
  '12.50@14', 'the raw row is');

-- 15:00: raw row and actions both change: still one ad-day.
select is(pg_temp.up(jsonb_build_array(
    pg_temp.r('Q', '2000-03-01', jsonb_build_array(pg_temp.a('lead', '2')), '13')),
  '2000-03-02 15:00+00'), 1, 'raw row and actions changed: one ad-day');

-- 09:00 (older than what is stored): a new type for Q and a new value for P: nothing at all.
select is(pg_temp.up(jsonb_build_array(
    pg_temp.r('Q', '2000-03-01', jsonb_build_array(pg_temp.a('lead', '2'), pg_temp.a('link_click', '4')), '13'),
    pg_temp.r('P', '2000-03-01', jsonb_build_array(pg_temp.a('lead', '7')), '10', '900002')),
  '2000-03-02 09:00+00'), 0, 'an older page changes nothing');
select is(pg_temp.acts('Q') || ' | ' || pg_temp.acts('P'),
  'lead=2/-/900001@15 | lead=3/-/900002@13,leadgen_grouped=2/-/900002@13,link_click=9/0.5/900002@13',
  'no type is added to or removed from an ad-day holding newer rows');

-- 16:00: a page for user b with the same ad-days: user a's rows are not read nor written.
select is(public.fb_upsert_insights(tests.uid('b'), jsonb_build_array(
    pg_temp.r('P', '2000-03-01', jsonb_build_array(pg_temp.a('lead', '8')))),
  '2000-03-02 16:00+00'), 1, 'another user''s ad-day of the same ad is its own');
select is(pg_temp.acts('P'), 'lead=3/-/900002@13,leadgen_grouped=2/-/900002@13,link_click=9/0.5/900002@13',
  'user a''s rows are untouched');

-- 17:00: one type vanishes, one is new, one is revised, in one ad-day.
select is(pg_temp.up(jsonb_build_array(
    pg_temp.r('P', '2000-03-01', jsonb_build_array(pg_temp.a('lead', '4'),
      pg_temp.a('link_click', '9', '0.5'), pg_temp.a('offsite_conversion.fb_pixel_lead', '1')), '10', '900002')),
  '2000-03-02 17:00+00'), 1, 'one ad-day changed');
select is(pg_temp.acts('P'),
  'lead=4/-/900002@17,link_click=9/0.5/900002@17,offsite_conversion.fb_pixel_lead=1/-/900002@17',
  'vanished type deleted, new one inserted, revised one updated, unchanged one kept');
select is((select sum(meta_leads)::int from public.traffic_meta_leads_daily
  where user_id = tests.uid('a') and stat_date = '2000-03-01'), 6, 'Meta leads follow: P 4 + Q 2');

select * from finish();
rollback;
