-- The raw table's Meta-lead trigger returns at once when its statement changed no row (migration
-- 20261208030800). A page's INSERT ... ON CONFLICT DO UPDATE fires the raw table's insert and
-- update statement triggers whatever it changed; private.traffic_meta_leads_raw_sync read the
-- lead types in use (private.traffic_meta_lead_types_in_use(), a function call and a read of
-- every lead list) before looking at its rows, so a first write paid it twice (the update
-- trigger saw no row) and a re-sync that changed nothing twice for nothing. Counted here with
-- track_functions: a first write of a page reads the types once, a re-sync of it not at all, and
-- the page's Meta leads come out as the rule says. On the previous definition (20261207193400)
-- the first two tests fail (2 and 2 calls).
begin;
select plan(5);
set local track_functions = 'all';

insert into auth.users (id, email, raw_app_meta_data) values
  ('00000000-0000-4000-8000-000000002821', 'fb-282@example.test', '{}');
insert into public.traffic_targetologist_settings (user_id, team_name, fb_ad_accounts) values
  ('00000000-0000-4000-8000-000000002821', 'team 282', '{act_2821}');

-- 20 ads on 2 days; every third ad-day without a lead type.
create function pg_temp.page() returns jsonb
language sql as $$
  select jsonb_agg(jsonb_build_object(
    'account_id', '2821', 'account_name', 'acc', 'account_currency', 'USD',
    'campaign_id', 'c2821', 'campaign_name', 'camp', 'adset_id', 's2821', 'adset_name', 'set',
    'ad_id', 'ad2821_' || a, 'ad_name', 'ad', 'stat_date', date '2026-11-01' + d,
    'spend', a, 'impressions', 1000, 'clicks', 10, 'reach', 900,
    'actions', case when a % 3 = 0 then jsonb_build_object('link_click', jsonb_build_array(4, 0.5))
      else jsonb_build_object('lead', jsonb_build_array(a % 5 + 1, 1.5)) end))
  from generate_series(1, 20) a cross join generate_series(0, 1) d
$$;
create function pg_temp.types_calls() returns bigint
language sql as $$
  select coalesce(pg_stat_get_xact_function_calls(
    'private.traffic_meta_lead_types_in_use()'::regprocedure), 0)
$$;
create temporary table calls (what text, n bigint);

insert into calls values ('before', pg_temp.types_calls());
select is(
  public.fb_upsert_insights('00000000-0000-4000-8000-000000002821', pg_temp.page(),
    now() - interval '1 minute'),
  40, 'a new page of 40 ad-days is written');
insert into calls values ('first', pg_temp.types_calls());
select is(
  (select n from calls where what = 'first') - (select n from calls where what = 'before'),
  1::bigint,
  'its first write read the lead types once (the insert trigger; the update trigger saw no row)');

select is(
  public.fb_upsert_insights('00000000-0000-4000-8000-000000002821', pg_temp.page(), now()),
  0, 'a re-sync of the same page writes nothing');
select results_eq(
  $$select pg_temp.types_calls() - (select n from calls where what = 'first')$$,
  $$values (0::bigint)$$,
  'the re-sync read the lead types not at all (both triggers saw no row)');

select results_eq(
  $$select count(*)::int, sum(meta_leads)::int, count(*) filter (where action_type = 'lead')::int
    from public.traffic_meta_leads_by_ad
    where user_id = '00000000-0000-4000-8000-000000002821'$$,
  $$select 28, (select 2 * sum(a % 5 + 1)::int from generate_series(1, 20) a where a % 3 <> 0), 28$$,
  'the 28 ad-days with a lead type have their Meta leads, the others none');

select * from finish();
rollback;
