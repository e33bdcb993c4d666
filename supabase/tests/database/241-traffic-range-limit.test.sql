-- Issue 12 item 3: the SQL a signed-in user may call directly refuses ranges over 366 days (or
-- outside 2000..2099) with SQLSTATE 22023 before any work, as traffic-api does with a 400; the
-- rule is private.traffic_assert_date_range, shared with traffic_metrics_for_range.
begin;
select plan(8);
select tests.create_fixture();
select tests.authenticate_as(tests.uid('a'));

select throws_ok(
  $$select * from public.traffic_daily_series('0001-01-01', '9999-12-31')$$, '22023', null,
  'daily series: the whole calendar is refused at once');
select throws_ok(
  $$select * from public.traffic_daily_series('2024-01-01', '2025-01-01')$$, '22023', null,
  'daily series: 367 days are refused');
select lives_ok(
  $$select * from public.traffic_daily_series('2024-01-01', '2024-12-31')$$,
  'daily series: 366 days (a leap year) are allowed');
select throws_ok(
  $$select * from public.traffic_daily_series('2024-01-01', '2025-01-01')$$, '22023',
  'traffic_daily_series: a range may span at most 366 days '
    || '(got 367 days: 2024-01-01 .. 2025-01-01)',
  'daily series: the message names the function and the limit');
select throws_ok(
  $$select * from public.traffic_campaign_metrics('0001-01-01', '9999-12-31')$$, '22023', null,
  'campaign metrics: the whole calendar is refused');
select throws_ok(
  $$select * from public.traffic_campaign_metrics('2024-01-01', '2025-01-01', 'Asia/Almaty',
      'ad')$$,
  '22023', null, 'campaign metrics: 367 days are refused');
select lives_ok(
  $$select * from public.traffic_campaign_metrics('2024-01-01', '2024-12-31')$$,
  'campaign metrics: 366 days are allowed');
select throws_ok(
  $$select * from public.traffic_api_daily('0001-01-01', '9999-12-31')$$, '22023', null,
  'the API shapes inherit the limit');

select * from finish();
rollback;
