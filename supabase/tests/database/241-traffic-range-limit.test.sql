-- Issue 12 item 3: the SQL a signed-in user may call directly refuses ranges over 366 days (and a
-- reversed range) with SQLSTATE 22023 before any work, as traffic-api does with a 400.
-- (private.traffic_assert_date_range also bounds dates to 2000..2099, which pgTAP 160's 1999 days
-- would fail, so these two keep the 366-day rule of private.traffic_check_range.)
begin;
select plan(8);
select tests.create_fixture();
select tests.authenticate_as(tests.uid('a'));

select throws_ok(
  $$select * from public.traffic_daily_series('0001-01-01', '9999-12-31')$$, '22023',
  'range too large: 3652059 days from 0001-01-01 to 9999-12-31; at most 366 are allowed',
  'daily series: the whole calendar is refused at once');
select throws_ok(
  $$select * from public.traffic_daily_series('2024-01-01', '2025-01-01')$$, '22023', null,
  'daily series: 367 days are refused');
select lives_ok(
  $$select * from public.traffic_daily_series('2024-01-01', '2024-12-31')$$,
  'daily series: 366 days (a leap year) are allowed');
select throws_ok(
  $$select * from public.traffic_daily_series('2000-01-02', '2000-01-01')$$, '22023',
  'invalid range: from (2000-01-02) is after to (2000-01-01)',
  'daily series: from after to is refused');
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
