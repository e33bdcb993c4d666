-- GET /campaigns reads and attributes the leads and sales of the page's owners only
-- (20261208053800): when the p_rows-th highest spend of a row is above 0, only the owners of the
-- rows with at least that spend have their conversions read and given their entity (the entity
-- step probes the raw ad rows per distinct UTM tuple). Before, every visible member's were, though
-- a page shows a few rows. The pages stay the same slices of the full answer: ties in spend
-- broken by leads at the cut, rows without spend ordered by their leads, every level, both
-- callers.
begin;
select plan(10);
select tests.create_fixture();
-- Team c: conversions only (its ad ran before the range), no spend in the range.
select tests.create_user('c');
insert into public.traffic_targetologist_settings (user_id, team_name)
values (tests.uid('c'), 'pgtap C');

-- Team a spends most; team b has one campaign tied with a's third (80), two rows of spend 0, a
-- campaign with conversions and no spend in the range (its ad ran earlier), and 20 distinct UTM
-- tuples (utm_term) on one ad: 20 entity steps when b's conversions are read. Team c has 3
-- conversions and no spend: its row (spend 0) ranks first of the spend-0 rows, by its leads.
insert into public.traffic_facebook_ads_raw (user_id, account_id, campaign_id, campaign_name,
  adset_id, ad_id, stat_date, spend)
values
  (tests.uid('a'), 'pgtap', 'po_a1', 'Owners A1', 'po_as_a1', 'po_ad_a1', '2000-06-01', 100),
  (tests.uid('a'), 'pgtap', 'po_a2', 'Owners A2', 'po_as_a2', 'po_ad_a2', '2000-06-01', 90),
  (tests.uid('a'), 'pgtap', 'po_a3', 'Owners A3', 'po_as_a3', 'po_ad_a3', '2000-06-01', 80),
  (tests.uid('a'), 'pgtap', 'po_a4', 'Owners A4', 'po_as_a4', 'po_ad_a4', '2000-06-01', 50),
  (tests.uid('b'), 'pgtap', 'po_b1', 'Owners B1', 'po_as_b1', 'po_ad_b1', '2000-06-01', 80),
  (tests.uid('b'), 'pgtap', 'po_b2', 'Owners B2', 'po_as_b2', 'po_ad_b2', '2000-06-01', 10),
  (tests.uid('b'), 'pgtap', 'po_b3', 'Owners B3', 'po_as_b3', 'po_ad_b3', '2000-06-01', 0),
  (tests.uid('b'), 'pgtap', 'po_b4', 'Owners B4', 'po_as_b4', 'po_ad_b4', '2000-06-01', 0),
  (tests.uid('b'), 'pgtap', 'po_b9', 'Owners B9', 'po_as_b9', 'po_ad_b9', '2000-05-20', 5),
  (tests.uid('c'), 'pgtap', 'po_c1', 'Owners C1', 'po_as_c1', 'po_ad_c1', '2000-05-20', 5);
insert into public.traffic_leads (amocrm_lead_id, user_id, utm_content, utm_term, created_at)
select 991000000 + i, tests.uid('b'), 'po_ad_b1', 'po_term_' || i, '2000-06-01 12:00+05'::timestamptz
from generate_series(1, 20) as i
union all
select 991000100 + i, tests.uid('b'), 'po_ad_b9', null, '2000-06-01 12:00+05'
from generate_series(1, 2) as i
union all
select 991000200, tests.uid('a'), 'po_ad_a3', null, '2000-06-01 12:00+05'
union all
select 991000300 + i, tests.uid('c'), 'po_ad_c1', null, '2000-06-01 12:00+05'
from generate_series(1, 3) as i;
analyze public.traffic_facebook_ads_raw;

create temporary table scans (step text, n bigint) on commit drop;
grant all on scans to authenticated;

-- The page as traffic_api_campaigns_answer serves it, and the same slice of the full answer
-- (tests/helpers/007-campaign-pages.sql), on the fixture's day.
create function pg_temp.page(p_level text, p_limit int, p_offset int) returns text
language sql as $$
  select tests.campaigns_page('2000-06-01', '2000-06-01', p_level, p_limit, p_offset)
$$;
create function pg_temp.slice(p_level text, p_limit int, p_offset int) returns text
language sql as $$
  select tests.campaigns_slice('2000-06-01', '2000-06-01', p_level, p_limit, p_offset)
$$;
grant execute on all functions in schema pg_temp to authenticated;

select tests.authenticate_as(tests.uid('admin'), true);
-- Scans of the raw ad rows by two admin pages: the same spend read (one scan per visible team),
-- the names of their rows, and the entity steps of the conversions each page reads.
insert into scans values ('before', tests.table_scans('public.traffic_facebook_ads_raw'));
create temporary table first_page on commit drop as select pg_temp.page('campaign', 1, 0) as body;
insert into scans values ('first', tests.table_scans('public.traffic_facebook_ads_raw'));
create temporary table tie_page on commit drop as select pg_temp.page('campaign', 2, 1) as body;
insert into scans values ('tie', tests.table_scans('public.traffic_facebook_ads_raw'));
select cmp_ok(
  ((select n from scans where step = 'tie') - (select n from scans where step = 'first'))
    - ((select n from scans where step = 'first') - (select n from scans where step = 'before')),
  '>=', 20::bigint,
  'the page of 1 (rows down to the 2nd highest spend: team a''s) skips the entity steps of team '
  'b''s 21 UTM tuples that the page ending at the tie (80, team b''s too) runs: 20 or more raw '
  'ad row scans fewer');
select is(
  (select body from first_page), pg_temp.slice('campaign', 1, 0),
  'that page of 1 is the first row of the full answer');
select is(
  (select body from tie_page), pg_temp.slice('campaign', 2, 1),
  'the page ending at the tie in spend (80: b''s 20 leads before a''s 1) is that slice');
select is(
  pg_temp.page('campaign', 1, 2), pg_temp.slice('campaign', 1, 2),
  'the page of the tie''s first row alone is that slice');
select is(
  pg_temp.page('campaign', 4, 3), pg_temp.slice('campaign', 4, 3),
  'a page reaching the rows of spend 0 (ordered by leads: c''s 3, b9''s 2, then none) is that '
  'slice');
select is(
  pg_temp.page('campaign', 7, 0), pg_temp.slice('campaign', 7, 0),
  'a page whose next row (the 8th highest spend) is 0 reads every team''s conversions: its 7th '
  'row is team c''s conversion-only row (3 leads; c has no spend in the range)');
select is(
  pg_temp.page('ad', 2, 1), pg_temp.slice('ad', 2, 1),
  'at ad level, the page ending at the tie is that slice');
select is(
  pg_temp.page('adset', 100, 0), pg_temp.slice('adset', 100, 0),
  'at adset level, a page of 100 holds every row of the range in the answer''s order');

select tests.authenticate_as(tests.uid('b'));
select is(
  pg_temp.page('campaign', 1, 0), pg_temp.slice('campaign', 1, 0),
  'team b''s own first page (its tied 80 with its 20 leads) is that slice');
select is(
  pg_temp.page('campaign', 2, 1), pg_temp.slice('campaign', 2, 1),
  'team b''s page over its spend 10 and spend 0 rows is that slice');

select * from finish();
rollback;
