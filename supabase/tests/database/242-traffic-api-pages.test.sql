-- traffic-api's team pages (migration 20261207023521): /metrics and /metrics/range answer p_limit
-- teams after p_offset in team-name order, the team total on every page, and teams_total; RLS
-- still decides what the caller sees; the page limits are enforced in SQL (22023), as in the API.
begin;
select plan(14);
select tests.create_fixture();
-- Only the fixture's stored 30d rows (the stack's aggregation job may have stored others).
delete from public.traffic_aggregated_metrics
where period = '30d' and (user_id is null and team_name <> 'pgtap'
  or user_id not in (tests.uid('a'), tests.uid('b')));
update public.traffic_aggregated_metrics set spend_usd = 487.9999999999999999
where user_id = tests.uid('b') and period = '30d';

create temporary table page_of (n int, body json) on commit drop;
grant all on page_of to authenticated;

select tests.authenticate_as(tests.uid('admin'), true);
insert into page_of select 0, public.traffic_api_metrics_page(array['30d'], null, 1, 0);
insert into page_of select 1, public.traffic_api_metrics_page(array['30d'], null, 1, 1);
insert into page_of select 2, public.traffic_api_metrics_page(array['30d'], null, 1, 2);
select is((select (body ->> 'teams_total')::int from page_of where n = 0), 2,
  'teams_total counts every team the admin sees, the total not counted');
select results_eq(
  $$select r ->> 'user_id' from page_of, json_array_elements(body -> 'data') r where n = 0
    order by r ->> 'user_id' nulls last$$,
  $$values (tests.uid('a')::text), (null)$$,
  'page 1 of 1 team: the first team by name (pgtap A) and the team total');
select results_eq(
  $$select r ->> 'user_id', case when r ->> 'user_id' is not null then r ->> 'spend_usd' end
    from page_of, json_array_elements(body -> 'data') r
    where n = 1 order by r ->> 'user_id' nulls last$$,
  $$values (tests.uid('b')::text, '488.00'), (null, null)$$,
  'page 2: the next team, money shaped as the view shapes it, and the total again');
select results_eq(
  $$select r ->> 'user_id' from page_of, json_array_elements(body -> 'data') r where n = 2$$,
  $$values (null::text)$$,
  'past the last team: only the team total');
select is(
  (select json_array_length(public.traffic_api_metrics_page(array['30d'], tests.uid('b'), 50, 0)
    -> 'data')),
  1, 'p_user_id narrows to that team''s rows, without the total');

select tests.authenticate_as(tests.uid('a'));
select is(
  (select (p ->> 'teams_total')::int || ':' || (p -> 'data' -> 0 ->> 'user_id')
   || ':' || json_array_length(p -> 'data')
   from public.traffic_api_metrics_page(array['30d']) p),
  '1:' || tests.uid('a') || ':1', 'a targetologist''s page: their own team only (RLS)');

select throws_ok($$select public.traffic_api_metrics_page(array['30d'], null, 0, 0)$$, '22023',
  'invalid page: limit must be 1 to 1000 teams (got 0)', 'limit 0 is refused in SQL');
select throws_ok($$select public.traffic_api_metrics_page(array['30d'], null, 1001, 0)$$,
  '22023', 'invalid page: limit must be 1 to 1000 teams (got 1001)',
  'more than 1,000 teams per page is refused in SQL');
select throws_ok($$select public.traffic_api_metrics_page(array['30d'], null, 10, -1)$$,
  '22023', 'invalid page: offset must be 0 to 100000 (got -1)',
  'a negative offset is refused in SQL');
select lives_ok($$select public.traffic_api_metrics_page(array['30d'], null, 1000, 100000)$$,
  '1,000 teams and the largest offset are allowed');

-- /metrics/range: the same page rule over traffic_api_metrics_range's rows.
select tests.authenticate_as(tests.uid('admin'), true);
insert into page_of select 10, public.traffic_api_metrics_range_page('2000-01-01', '2000-01-01',
  'Asia/Almaty', null, 1, 0);
select is(
  (select (body ->> 'teams_total')::int from page_of where n = 10),
  (select count(*)::int from public.traffic_api_metrics_range('2000-01-01', '2000-01-01',
    'Asia/Almaty') where user_id is not null),
  'range: teams_total is every team of the range');
select is(
  (select count(*)::int || ':' || count(*) filter (where r ->> 'user_id' is null)
   from page_of, json_array_elements(body -> 'data') r where n = 10),
  '2:1', 'range: one team and the team total');
select results_eq(
  $$select r ->> 'spend_usd', r ->> 'total_revenue' from public.traffic_api_metrics_range_page(
      '2000-01-01', '2000-01-01', 'Asia/Almaty', tests.uid('a'), 50, 0) p,
      json_array_elements(p -> 'data') r$$,
  $$select spend_usd, total_revenue from public.traffic_api_metrics_range('2000-01-01',
      '2000-01-01', 'Asia/Almaty') where user_id = tests.uid('a')$$,
  'range: a team''s row is traffic_api_metrics_range''s, to the digit');
select throws_ok($$select public.traffic_api_metrics_range_page('2000-01-01', '2000-01-01',
    'Asia/Almaty', null, 1001, 0)$$, '22023',
  'invalid page: limit must be 1 to 1000 teams (got 1001)', 'range: the same limit in SQL');

select * from finish();
rollback;
