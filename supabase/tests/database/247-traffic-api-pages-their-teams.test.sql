-- traffic-api's pages compute only their teams (migrations 20261207051500, 051600; review A3):
-- traffic_api_metrics_range_of(p_users) answers exactly traffic_api_metrics_range's rows of those
-- teams and its team total (computed over every team), RLS still decides, and the page functions
-- check the page before any work. (The rows computed are counted in the integration test
-- traffic-api-pages.test.ts.)
begin;
select plan(8);
select tests.create_fixture();

create temporary table got (n int, body jsonb) on commit drop;
grant all on got to authenticated;

select tests.authenticate_as(tests.uid('admin'), true);
insert into got select 1, public.traffic_api_metrics_range_of('2000-01-01', '2000-01-01',
  'Asia/Almaty', array[tests.uid('a')], true)::jsonb;
insert into got select 2, coalesce(jsonb_agg(to_jsonb(m)), '[]') from
  public.traffic_api_metrics_range('2000-01-01', '2000-01-01', 'Asia/Almaty') m
  where m.user_id = tests.uid('a') or m.user_id is null;

select is(
  (select jsonb_array_length(body) from got where n = 1), 2,
  'range_of one team: its row and the team total');
select is(
  (select jsonb_agg(r - 'computed_at' - 'updated_at' order by r ->> 'user_id')
   from got, jsonb_array_elements(body) r where n = 1),
  (select jsonb_agg(r - 'computed_at' - 'updated_at' order by r ->> 'user_id')
   from got, jsonb_array_elements(body) r where n = 2),
  'the team''s row and the total are traffic_api_metrics_range''s, to the digit (the total '
  'covers every team, not only the page''s)');
select is(
  (select r ->> 'total_revenue' from got, jsonb_array_elements(body) r
   where n = 1 and r ->> 'user_id' is null),
  '21000.00', 'the total counts B''s sale and the unattributed one although only A was asked');
select is(
  (select json_array_length(public.traffic_api_metrics_range_of('2000-01-01', '2000-01-01',
    'Asia/Almaty', array[tests.uid('a')], false))),
  1, 'p_total false: the team''s row only');
select is(
  (select coalesce(j -> 0 ->> 'user_id', 'total') || ':' || json_array_length(j)
   from public.traffic_api_metrics_range_of('2000-01-01', '2000-01-01', 'Asia/Almaty',
     '{}', true) j),
  'total:1', 'an empty page: the team total only');

select tests.authenticate_as(tests.uid('b'));
select is(
  (select string_agg(r ->> 'user_id', ',') from json_array_elements(
    public.traffic_api_metrics_range_of('2000-01-01', '2000-01-01', 'Asia/Almaty',
      array[tests.uid('a'), tests.uid('b')], true)) r),
  tests.uid('b')::text, 'a targetologist asking for two teams gets their own row only (RLS)');

select tests.authenticate_as(tests.uid('admin'), true);
-- A range SQL refuses too: the page's error comes first, before any computation.
select throws_ok($$select public.traffic_api_metrics_range_page('2000-01-01', '2099-12-31',
    'Asia/Almaty', null, 0, 0)$$, '22023',
  'invalid page: limit must be 1 to 1000 teams (got 0)',
  'range page: the page is checked before the range and the work');
select throws_ok($$select public.traffic_api_metrics_page(array['30d'], null, 10, 100001)$$,
  '22023', 'invalid page: offset must be 0 to 100000 (got 100001)',
  'metrics page: the page is checked first');

select * from finish();
rollback;
