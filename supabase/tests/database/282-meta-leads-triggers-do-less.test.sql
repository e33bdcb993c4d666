-- The raw table's Meta-lead trigger returns at once when its statement changed no row (migration
-- 20261208030800). A page's INSERT ... ON CONFLICT DO UPDATE fires the raw table's insert and
-- update statement triggers whatever it changed; private.traffic_meta_leads_raw_sync read the
-- lead types in use (private.traffic_meta_lead_types_in_use(), a function call and a read of
-- every lead list) before looking at its rows, so a first write paid it twice (the update
-- trigger saw no row) and a re-sync that changed nothing twice for nothing. Counted here with
-- track_functions: a first write of a page reads the types once, a re-sync of it not at all, and
-- the page's Meta leads come out as the rule says. On the previous definition (20261207193400)
-- tests 2 and 4 fail (2 and 2 calls).
--
-- traffic_meta_leads_by_ad has no index on account_id (migration 20261208033800): every page
-- wrote each Meta-lead row into it for one reader, a change of a lead list, which now finds the
-- same ad-days from the raw rows alone (their lists holding a type in use or of the list the
-- change replaced). Pinned below: a list that drops a type no other list names still takes the
-- Meta leads that type gave (the case the index was read for), re-derives the rest, and leaves
-- other accounts alone; then the default list again. On the previous schema the first of these
-- tests fails (the index exists); the others pass on both.
--
-- The Meta-lead refresh (the update and delete triggers, a lead-list change) looks each ad-day up
-- once (migration 20261208033800): its `gone` step was an anti join against the `picked` CTE,
-- which the planner estimated at one row and rescanned per candidate, so its cost grew with the
-- square of the ad-days (6,000 ad-days 8.5 s on a dev stack). Pinned: the per-key LATERAL probe
-- (fails on the previous definition, 20261207193400) and, through a direct update of the page's
-- actions, that the refreshed ad-days come out as the rule says (passes on both).
begin;
select plan(12);
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

-- The refresh: each key probed once, then its Meta leads from the rule or none.
select ok((select prosrc from pg_proc
           where oid = 'private.traffic_meta_leads_refresh(uuid[], text[], date[])'::regprocedure)
    ~ 'derived as materialized \(\s+select .*\s+from keys k\s+left join lateral \(.*offset 0\s+\) p on true'
    and (select prosrc from pg_proc
         where oid = 'private.traffic_meta_leads_refresh(uuid[], text[], date[])'::regprocedure)
    !~* 'from picked',
  'the Meta-lead refresh looks each ad-day up once (a LATERAL probe per key, no anti join against a CTE)');
-- Half of the page's ad-days lose their lead type, the other half change their value (the update
-- trigger hands all 40 to the refresh).
update public.traffic_facebook_ads_raw
set actions = case when ad_id::text ~ '[02468]$'
    then jsonb_build_object('link_click', jsonb_build_array(1, 0.5))
    else jsonb_build_object('lead', jsonb_build_array(100, 0.5)) end
where user_id = '00000000-0000-4000-8000-000000002821' and ad_id like 'ad2821_%';
select results_eq(
  $$select count(*)::int, sum(meta_leads)::int from public.traffic_meta_leads_by_ad
    where user_id = '00000000-0000-4000-8000-000000002821' and ad_id like 'ad2821_%'$$,
  $$values (20, 2000)$$,
  'after an update of their actions: the 20 ad-days with a lead type have its new value, the others none');

-- A lead list that drops a type no other list names.
select is(
  (select count(*) from pg_index i join pg_attribute a
     on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
   where i.indrelid = 'public.traffic_meta_leads_by_ad'::regclass and a.attname = 'account_id')::int,
  0, 'no index of traffic_meta_leads_by_ad leads with account_id');
insert into public.traffic_targetologist_settings (user_id, team_name, fb_ad_accounts)
select id, 'team 282 b', '{act_2822}' from auth.users where email = 'fb-282@example.test'
on conflict (user_id) do nothing;
create function pg_temp.row(p_account text, p_ad text, p_actions jsonb) returns jsonb
language sql as $$
  select jsonb_build_object('account_id', p_account, 'account_name', 'acc',
    'account_currency', 'USD', 'campaign_id', 'c', 'campaign_name', 'c', 'adset_id', 's',
    'adset_name', 's', 'ad_id', p_ad, 'ad_name', 'ad', 'stat_date', '2026-10-01', 'spend', 1,
    'impressions', 1, 'clicks', 1, 'reach', 1, 'actions', p_actions)
$$;
insert into public.traffic_meta_lead_settings (account_id, lead_action_types)
values ('2822', '{x282_type,lead}');
select is(
  public.fb_upsert_insights('00000000-0000-4000-8000-000000002821', jsonb_build_array(
    pg_temp.row('2822', 'A282', '{"x282_type": [7, 0.5], "lead": [2, 0.5]}'),
    pg_temp.row('2822', 'B282', '{"x282_type": [5, 0.5]}'),
    pg_temp.row('2822', 'C282', '{"lead": [3, 0.5]}'),
    pg_temp.row('2822', 'D282', '{"link_click": [9, 0.5]}'),
    pg_temp.row('2823', 'E282', '{"x282_type": [4, 0.5], "lead": [1, 0.5]}')), now()),
  5, 'five ad-days of two accounts written');
create function pg_temp.leads() returns table (ad_id text, action_type text, meta_leads int)
language sql as $$
  select ad_id, action_type, meta_leads::int from public.traffic_meta_leads_by_ad
  where ad_id like '%282' order by ad_id
$$;
select results_eq('select * from pg_temp.leads()',
  $$values ('A282', 'x282_type', 7), ('B282', 'x282_type', 5), ('C282', 'lead', 3),
           ('E282', 'lead', 1)$$,
  'by the account''s list: x282_type first; the other account by the default list');
update public.traffic_meta_lead_settings set lead_action_types = '{lead}' where account_id = '2822';
select results_eq('select * from pg_temp.leads()',
  $$values ('A282', 'lead', 2), ('C282', 'lead', 3), ('E282', 'lead', 1)$$,
  'the list without x282_type (in no list now): A re-derived, B''s Meta leads gone, others kept');
delete from public.traffic_meta_lead_settings where account_id = '2822';
select results_eq(
  $$select (select sum(meta_leads)::int from public.traffic_meta_leads_daily
            where user_id = '00000000-0000-4000-8000-000000002821' and stat_date = '2026-10-01'),
           (select count(*)::int from pg_temp.leads())$$,
  $$values (6, 3)$$,
  'back to the default list: the same three, and the daily row sums them');

select * from finish();
rollback;
