-- fb_upsert_insights writes Meta's actions with the raw rows, and meta_leads follows the one rule
-- (per ad-day, the first type of the account's lead list that Meta reported; default list
-- lead > onsite_conversion.lead_grouped > leadgen_grouped > offsite_conversion.fb_pixel_lead).
-- Every expected figure below is worked out by hand from the rows in this file.
begin;
select plan(34);
select tests.create_fixture();

-- A helper: one raw row of account 900001 with these actions (jsonb array or null = no key).
create function pg_temp.r(p_ad text, p_day text, p_actions jsonb)
returns jsonb language sql as $$
  select jsonb_build_object('account_id', '900001', 'account_currency', 'USD',
    'campaign_id', 'c-meta', 'adset_id', 's-meta', 'ad_id', p_ad, 'stat_date', p_day,
    'spend', '10', 'impressions', 100, 'clicks', 5, 'reach', 90)
    || case when p_actions is null then '{}'::jsonb
            else jsonb_build_object('actions', p_actions) end
$$;
create function pg_temp.a(p_type text, p_value text, p_cost text default null)
returns jsonb language sql as $$
  select jsonb_build_object('action_type', p_type, 'value', p_value, 'cost_per_action', p_cost)
$$;
create function pg_temp.leads(p_ad text, p_day date) returns text language sql as $$
  select action_type || ' ' || meta_leads::text from public.traffic_meta_leads_by_ad
  where user_id = tests.uid('a') and ad_id = p_ad and stat_date = p_day
$$;
create function pg_temp.daily(p_day date) returns int language sql as $$
  select meta_leads::int from public.traffic_meta_leads_daily
  where user_id = tests.uid('a') and stat_date = p_day
$$;

-- Page 1 (fetched 10:00):
--   X 02-10: lead 5 (cost 2), lead_grouped 3, leadgen_grouped 3, pixel 2, link_click 40 -> lead 5
--   Y 02-10: lead_grouped 4, leadgen_grouped 4, pixel 1 (no `lead`)      -> lead_grouped 4
--   Z 02-10: link_click 10                                                 -> no Meta lead
--   X 02-11: pixel 2                                                       -> pixel 2
select set_config('pgtap.page1', jsonb_build_array(
  pg_temp.r('X', '2000-02-10', jsonb_build_array(pg_temp.a('lead', '5', '2'),
    pg_temp.a('onsite_conversion.lead_grouped', '3'), pg_temp.a('leadgen_grouped', '3'),
    pg_temp.a('offsite_conversion.fb_pixel_lead', '2', '5.000000'), pg_temp.a('link_click', '40', '0.25'))),
  pg_temp.r('Y', '2000-02-10', jsonb_build_array(pg_temp.a('onsite_conversion.lead_grouped', '4'),
    pg_temp.a('leadgen_grouped', '4'), pg_temp.a('offsite_conversion.fb_pixel_lead', '1'))),
  pg_temp.r('Z', '2000-02-10', jsonb_build_array(pg_temp.a('link_click', '10'))),
  pg_temp.r('X', '2000-02-11', jsonb_build_array(pg_temp.a('offsite_conversion.fb_pixel_lead', '2')))
)::text, true);

select is(public.fb_upsert_insights(tests.uid('a'), current_setting('pgtap.page1')::jsonb,
  '2000-02-12 10:00+00'), 4, 'four new ad-days');
select is((select count(*)::int from public.traffic_facebook_ad_actions where user_id = tests.uid('a')), 10,
  'every action type of every ad-day is a row: 5 + 3 + 1 + 1');
select is((select value::text || ' ' || cost_per_action::text from public.traffic_facebook_ad_actions
  where user_id = tests.uid('a') and ad_id = 'X' and stat_date = '2000-02-10' and action_type = 'offsite_conversion.fb_pixel_lead'),
  '2 5.000000', 'value and cost_per_action are stored exactly');
select is((select cost_per_action from public.traffic_facebook_ad_actions
  where user_id = tests.uid('a') and ad_id = 'Y' and stat_date = '2000-02-10' and action_type = 'leadgen_grouped'),
  null, 'no cost_per_action: null');
select is((select account_id from public.traffic_facebook_ad_actions
  where user_id = tests.uid('a') and ad_id = 'Z'), '900001', 'the row names its ad account');

select is(pg_temp.leads('X', '2000-02-10'), 'lead 5', 'X: Meta''s total `lead`, not 5 + 3 + 3 + 2');
select is(pg_temp.leads('Y', '2000-02-10'), 'onsite_conversion.lead_grouped 4',
  'Y: without `lead`, the instant-form total once (not lead_grouped + leadgen_grouped)');
select is(pg_temp.leads('Z', '2000-02-10'), null, 'Z: no lead type, no Meta lead');
select is(pg_temp.leads('X', '2000-02-11'), 'offsite_conversion.fb_pixel_lead 2', 'X 02-11: pixel leads');
select is(pg_temp.daily('2000-02-10'), 9, 'daily rollup 02-10: 5 + 4');
select is(pg_temp.daily('2000-02-11'), 2, 'daily rollup 02-11: 2');

-- Replays and older data
select is(public.fb_upsert_insights(tests.uid('a'), current_setting('pgtap.page1')::jsonb,
  '2000-02-12 11:00+00'), 0, 'the same page again changes nothing');
select is((select count(*)::int from public.traffic_facebook_ad_actions
  where user_id = tests.uid('a') and synced_at = '2000-02-12 10:00+00'), 10,
  'synced_at does not churn on unchanged actions');
select is(public.fb_upsert_insights(tests.uid('a'), jsonb_build_array(
    pg_temp.r('Y', '2000-02-10', jsonb_build_array(pg_temp.a('lead', '99')))),
  '2000-02-12 09:00+00'), 0, 'an older fetch of an ad-day changes nothing');
select is(pg_temp.leads('Y', '2000-02-10'), 'onsite_conversion.lead_grouped 4', 'and its Meta leads stay');

-- Revisions: Y's instant-form total revised to 6 and leadgen_grouped gone; in one page the same
-- ad-day twice (the last wins) and a type twice within it (its last entry wins).
select is(public.fb_upsert_insights(tests.uid('a'), jsonb_build_array(
    pg_temp.r('Y', '2000-02-10', jsonb_build_array(pg_temp.a('lead', '50'))),
    pg_temp.r('Y', '2000-02-10', jsonb_build_array(pg_temp.a('onsite_conversion.lead_grouped', '1'),
      pg_temp.a('offsite_conversion.fb_pixel_lead', '1'), pg_temp.a('onsite_conversion.lead_grouped', '6')))),
  '2000-02-12 12:00+00'), 1, 'one ad-day changed');
select is((select string_agg(action_type || '=' || value, ',' order by action_type)
  from public.traffic_facebook_ad_actions where user_id = tests.uid('a') and ad_id = 'Y'),
  'offsite_conversion.fb_pixel_lead=1,onsite_conversion.lead_grouped=6',
  'the vanished type is removed, the revised one updated, the unchanged one kept');
select is(pg_temp.leads('Y', '2000-02-10'), 'onsite_conversion.lead_grouped 6', 'Y now 6');
select is(pg_temp.daily('2000-02-10'), 11, 'daily rollup 02-10: 5 + 6');

-- A row without an `actions` key (a caller that did not ask Meta for them) leaves them alone;
-- an empty array means Meta reports none any more.
select is(public.fb_upsert_insights(tests.uid('a'), jsonb_build_array(
    pg_temp.r('X', '2000-02-11', null)), '2000-02-12 13:00+00'), 0,
  'no actions key: nothing changes');
select is(pg_temp.leads('X', '2000-02-11'), 'offsite_conversion.fb_pixel_lead 2', 'X 02-11 kept');
select is(public.fb_upsert_insights(tests.uid('a'), jsonb_build_array(
    pg_temp.r('X', '2000-02-11', '[]')), '2000-02-12 13:00+00'), 1, 'an empty actions list changes the ad-day');
select is(pg_temp.daily('2000-02-11'), null, 'its Meta leads and emptied daily row are gone');
select is(public.fb_upsert_insights(tests.uid('a'), jsonb_build_array(
    pg_temp.r('X', '2000-02-11', jsonb_build_array(pg_temp.a('offsite_conversion.fb_pixel_lead', '2')))),
  '2000-02-12 14:00+00'), 1, 'and back');

-- The account's own lead list: only pixel leads count for 900001.
insert into public.traffic_meta_lead_settings (account_id, lead_action_types)
values ('900001', '{offsite_conversion.fb_pixel_lead}');
select is(pg_temp.daily('2000-02-10'), 3, 'custom list, 02-10: pixel 2 (X) + 1 (Y)');
update public.traffic_meta_lead_settings set lead_action_types = '{leadgen_grouped,link_click}'
  where account_id = '900001';
select is(pg_temp.daily('2000-02-10'), 13,
  'changed list (leadgen_grouped, then link_click), 02-10: X 3 (leadgen_grouped) + Y none + Z 10');

-- The aggregated metrics: back to the default list (02-10: 11, 02-11: 2 = 13 Meta leads);
-- 3 CRM leads of A on 02-10 and 1 unattributed on 02-11, a USD rate for the spend.
delete from public.traffic_meta_lead_settings where account_id = '900001';
insert into public.traffic_leads (amocrm_lead_id, user_id, created_at)
values (990000101, tests.uid('a'), '2000-02-10 12:00+06'), (990000102, tests.uid('a'), '2000-02-10 12:00+06'),
       (990000103, tests.uid('a'), '2000-02-10 13:00+06'), (990000104, null, '2000-02-11 12:00+06');
select results_eq(
  $$select coalesce(user_id::text, 'total'), meta_leads, meta_leads_gap, round(meta_leads_gap_pct, 4)
    from public.traffic_metrics_for_range('2000-02-10', '2000-02-11')
    where user_id is null or user_id in (tests.uid('a'), tests.uid('b'))
    order by user_id = tests.uid('b'), user_id nulls last$$,
  $$values (tests.uid('a')::text, 13, 10, 76.9231), (tests.uid('b')::text, 0, 0, null::numeric),
           ('total', 13, 9, 69.2308)$$,
  'metrics for a range: A 13 Meta vs 3 CRM leads (gap 10, 76.9231 %); B none (gap %% null); '
  'team 13 vs 4 (incl. the unattributed one: gap 9, 69.2308 %)');
select is((public.traffic_aggregate_metrics('Asia/Almaty', '2000-02-11') ->> 'rows_changed')::int > 0, true,
  'the aggregation writes them');
select results_eq(
  $$select period, meta_leads, meta_leads_gap, round(meta_leads_gap_pct, 4)
    from public.traffic_aggregated_metrics where user_id is null order by period$$,
  $$values ('30d'::text, 13, 9, 69.2308), ('7d', 13, 9, 69.2308), ('today', 2, 1, 50.0000)$$,
  'traffic_aggregated_metrics team total: 7d and 30d 13 Meta vs 4 CRM leads, today (02-11) 2 vs 1');

-- An ad-day's actions go with its raw row, and a removed user's with theirs (set-based triggers,
-- not row-by-row foreign keys).
delete from public.traffic_facebook_ads_raw
  where user_id = tests.uid('a') and ad_id = 'X' and stat_date = '2000-02-11';
select is((select count(*)::int from public.traffic_facebook_ad_actions
  where user_id = tests.uid('a') and ad_id = 'X' and stat_date = '2000-02-11'), 0,
  'a deleted raw ad-day takes its actions with it');
select is(pg_temp.daily('2000-02-11'), null, 'and its Meta leads');
select is(pg_temp.daily('2000-02-10'), 11, 'other days untouched');
select set_config('pgtap.a', tests.uid('a')::text, true);
delete from auth.users where id = tests.uid('a');
select is((select count(*)::int from public.traffic_facebook_ad_actions
  where user_id = current_setting('pgtap.a')::uuid), 0, 'a removed user''s actions are gone');
select is((select count(*)::int from public.traffic_meta_leads_by_ad
  where user_id = current_setting('pgtap.a')::uuid)
  + (select count(*)::int from public.traffic_meta_leads_daily
  where user_id = current_setting('pgtap.a')::uuid), 0, 'and their Meta-lead rollups');

select * from finish();
rollback;
