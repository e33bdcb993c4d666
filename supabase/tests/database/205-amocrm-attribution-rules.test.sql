-- The webhook attributes a lead with the aggregation's own rules (traffic_resolve_attribution):
-- utm_source matches case-insensitively, the best level wins over the order of UTM values, and
-- a later aggregation run finds nothing to correct.
begin;
select plan(4);

select tests.create_user('attr_a');
select tests.create_user('attr_b');
insert into public.traffic_targetologist_settings (user_id, team_name, utm_sources) values
  (tests.uid('attr_a'), 'Attr A', '{FB_Kenesary}'),
  (tests.uid('attr_b'), 'Attr B', '{}');
insert into public.traffic_facebook_ads_raw
  (user_id, account_id, campaign_id, adset_id, ad_id, stat_date, spend)
values (tests.uid('attr_b'), '1', '990500003', '990500002', '990500001', '2024-06-10', 1);

select tests.amo_deliver(990350001, tests.amo_event('add', 1, null, 10)
  || '{"utm": {"source": "fb_kenesary"}}'::jsonb);
select is(
  (select row(user_id = tests.uid('attr_a'), attributed_by)::text from public.traffic_leads
    where amocrm_lead_id = 990350001),
  '(t,utm_source)', 'utm_source matches the targetologist''s utm_sources whatever the case');

-- utm_content names B's campaign, utm_term B's ad: the ad (the better level) wins.
select tests.amo_deliver(990350002, tests.amo_event('add', 1, null, 10)
  || '{"utm": {"source": "fb_kenesary", "content": "990500003", "term": "990500001"}}'::jsonb);
select is(
  (select row(user_id = tests.uid('attr_b'), attributed_by)::text from public.traffic_leads
    where amocrm_lead_id = 990350002),
  '(t,ad)', 'an ad id beats a campaign id and the utm_source, whichever UTM value holds it');

select tests.amo_deliver(990350003, tests.amo_event('add', 1, null, 10)
  || '{"utm": {"source": "nobody"}}'::jsonb);
select is(
  (select user_id from public.traffic_leads where amocrm_lead_id = 990350003), null,
  'no match leaves the lead unattributed');

create temporary table before on commit drop as
  select amocrm_lead_id, user_id, attributed_by, attributed_at from public.traffic_leads
  where amocrm_lead_id between 990350001 and 990350003;
select public.traffic_resolve_attribution();
select is(
  (select count(*)::int from public.traffic_leads l join before b using (amocrm_lead_id)
    where (l.user_id, l.attributed_by, l.attributed_at)
      is distinct from (b.user_id, b.attributed_by, b.attributed_at)),
  0, 'the aggregation''s resolution agrees with the webhook''s: nothing to correct');

select * from finish();
rollback;
