-- GET /campaigns looks up names for the rows up to its page's end only (20261207223300): the
-- answer asks private.traffic_api_campaigns_top for p_offset + p_limit + 1 rows, chosen by the
-- answer's order before their team and campaign names are read. Before, every campaign of the
-- range was named (one scan of the raw ad rows each) and the page taken afterwards. The pages are
-- the same slices of the full answer as before (ties in spend included), for a targetologist and
-- for an admin over two teams.
begin;
select plan(7);
select tests.create_fixture();

-- 30 campaigns of team a and 10 of team b on one day; spends tie in groups (i % 7).
insert into public.traffic_facebook_ads_raw (user_id, account_id, campaign_id, campaign_name,
  adset_id, ad_id, stat_date, spend)
select tests.uid('a'), 'pgtap', 'np_a' || lpad(i::text, 2, '0'), 'Named A ' || i,
  'np_as' || i, 'np_ad_a' || i, date '2000-05-01', (i % 7) * 10
from generate_series(1, 30) as i
union all
select tests.uid('b'), 'pgtap', 'np_b' || lpad(i::text, 2, '0'), 'Named B ' || i,
  'np_bs' || i, 'np_ad_b' || i, date '2000-05-01', (i % 7) * 10 + 5
from generate_series(1, 10) as i;
analyze public.traffic_facebook_ads_raw;

create temporary table scans (step text, n bigint) on commit drop;
grant all on scans to authenticated;

-- The page as traffic_api_campaigns_answer serves it, and the same slice of the full answer
-- (tests/helpers/007-campaign-pages.sql).
create function pg_temp.page(p_limit int, p_offset int) returns text language sql as $$
  select tests.campaigns_page('2000-05-01', '2000-05-01', 'campaign', p_limit, p_offset)
$$;
create function pg_temp.slice(p_limit int, p_offset int) returns text language sql as $$
  select tests.campaigns_slice('2000-05-01', '2000-05-01', 'campaign', p_limit, p_offset)
$$;
grant execute on all functions in schema pg_temp to authenticated;

select tests.authenticate_as(tests.uid('a'));
insert into scans values ('before', tests.table_scans('public.traffic_facebook_ads_raw'));
create temporary table first_page on commit drop as select pg_temp.page(2, 0) as body;
insert into scans values ('after', tests.table_scans('public.traffic_facebook_ads_raw'));
select cmp_ok(
  (select n from scans where step = 'after') - (select n from scans where step = 'before'),
  '<', 12::bigint,
  'a page of 2 of 30 campaigns scans the raw ad rows a few times (the spend read, 3 names), '
  'not once per campaign of the range');
select is(
  (select body from first_page), pg_temp.slice(2, 0),
  'the targetologist''s first page is the first 2 rows of the full answer, more follows');
select is(
  pg_temp.page(7, 21), pg_temp.slice(7, 21),
  'the targetologist''s page of 7 at offset 21 is that slice of the full answer');
select is(
  pg_temp.page(5, 28), pg_temp.slice(5, 28),
  'the last page (2 rows of 5 asked) is that slice, and no more follows');

select is(
  pg_temp.page(500, 2147483647), '{"data": "", "more": false}',
  'an offset at the top of int answers an empty page, as before (offset + limit + 1 does not '
  'overflow)');

select tests.authenticate_as(tests.uid('admin'), true);
select is(
  pg_temp.page(9, 13), pg_temp.slice(9, 13),
  'an admin''s page over two teams is that slice of the full answer');
select is(
  pg_temp.page(100, 0), pg_temp.slice(100, 0),
  'an admin''s page of 100 holds every row of the range (40)');

select * from finish();
rollback;
