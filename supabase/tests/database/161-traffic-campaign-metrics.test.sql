-- traffic_campaign_metrics(): spend per campaign/adset/ad, and each attributed lead or sale
-- counted at the most specific entity its UTM values name (ad > adset > campaign) among its
-- owner's ads, rolled up to the parents. RLS decides (security invoker).
begin;
select plan(7);
select tests.create_fixture();

-- A: campaign c1 (adset s1: ads d1, d2) and c2 (adset s2: ad d3) on 2000-02-01.
insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id, campaign_id,
  campaign_name, adset_id, ad_id, ad_name, stat_date, spend, impressions, clicks)
values (tests.uid('a'), 'pgtap A', 'pgtap', 'c1', 'Old name', 's1', 'd1', 'D1', '2000-01-15', 1, 0, 0),
       (tests.uid('a'), 'pgtap A', 'pgtap', 'c1', 'Camp 1', 's1', 'd1', 'D1', '2000-02-01', 10, 100, 10),
       (tests.uid('a'), 'pgtap A', 'pgtap', 'c1', 'Camp 1', 's1', 'd2', 'D2', '2000-02-01', 5, 50, 5),
       (tests.uid('a'), 'pgtap A', 'pgtap', 'c2', 'Camp 2', 's2', 'd3', 'D3', '2000-02-01', 2, 20, 2);
insert into public.traffic_leads (amocrm_lead_id, user_id, created_at, utm_campaign, utm_term,
  utm_content)
values (990000020, tests.uid('a'), '2000-02-01 06:00+00', 'c1', 's1', 'd1'), -- ad d1
       (990000021, tests.uid('a'), '2000-02-01 06:00+00', null, 's1', null), -- adset s1
       (990000022, tests.uid('a'), '2000-02-01 06:00+00', 'c2', null, null), -- campaign c2
       (990000023, tests.uid('a'), '2000-02-01 06:00+00', 'nope', null, null), -- nothing
       (990000024, tests.uid('a'), '2000-02-01 06:00+00', null, null, 'ad-b'); -- B's ad
insert into public.traffic_sales (amocrm_lead_id, user_id, product, sale_type, sale_amount,
  sold_at, status, utm_content)
values (990000020, tests.uid('a'), 'express', 'full', 1000, '2000-02-01 06:00+00', 'active', 'd1'),
       (990000021, tests.uid('a'), 'express', 'full', 9999, '2000-02-01 06:00+00', 'reversed', 'd1');

select tests.authenticate_as(tests.uid('a'));
select results_eq(
  $$select campaign_id, campaign_name, adset_id, ad_id, spend_usd, spend_kzt, impressions,
      clicks, leads, sales, revenue, roas, cpa_usd
    from public.traffic_campaign_metrics('2000-02-01', '2000-02-01', 'Asia/Almaty', 'campaign')$$,
  $$values ('c1'::text, 'Camp 1'::text, null::text, null::text, 15::numeric, 7500::numeric,
      150::bigint, 15::bigint, 2::bigint, 1::bigint, 1000::numeric, 1000 / 7500::numeric,
      15::numeric),
    ('c2', 'Camp 2', null, null, 2, 1000, 20, 2, 1, 0, 0, 0, null)$$,
  'campaign level: latest names, spend, leads rolled up from ad and adset, reversed sale out');

select results_eq(
  $$select adset_id, spend_usd, leads, sales
    from public.traffic_campaign_metrics('2000-02-01', '2000-02-01', 'Asia/Almaty', 'adset')$$,
  $$values ('s1'::text, 15::numeric, 2::bigint, 1::bigint), ('s2', 2, 0, 0)$$,
  'adset level: a lead naming only the campaign is not counted');

select results_eq(
  $$select ad_id, ad_name, adset_id, spend_usd, leads, sales, revenue
    from public.traffic_campaign_metrics('2000-02-01', '2000-02-01', 'Asia/Almaty', 'ad')$$,
  $$values ('d1'::text, 'D1'::text, 's1'::text, 10::numeric, 1::bigint, 1::bigint, 1000::numeric),
    ('d2', 'D2', 's1', 5, 0, 0, 0), ('d3', 'D3', 's2', 2, 0, 0, 0)$$,
  'ad level: only the lead and sale naming the ad');

select is(
  (select count(*)::int from public.traffic_campaign_metrics('2000-01-01', '2000-02-01',
    'Asia/Almaty', 'campaign') where user_id <> tests.uid('a')),
  0,
  'A sees no one else''s campaigns');

select throws_ok(
  $$select * from public.traffic_campaign_metrics('2000-02-01', '2000-02-01', 'UTC', 'keyword')$$,
  '22023', null, 'an unknown level is refused');

select tests.authenticate_as(tests.uid('b'));
select results_eq(
  $$select campaign_id, leads from public.traffic_campaign_metrics('2000-01-01', '2000-02-01',
    'Asia/Almaty', 'campaign')$$,
  $$values ('c-b'::text, 0::bigint)$$,
  'B: own campaign only; A''s lead naming B''s ad is not B''s');

select tests.authenticate_as(tests.uid('admin'), true);
select is(
  (select count(*)::int from public.traffic_campaign_metrics('2000-01-01', '2000-02-01',
    'Asia/Almaty', 'campaign') where user_id in (tests.uid('a'), tests.uid('b'))),
  4,
  'admin: every team''s campaigns (c-a, c1, c2, c-b)');

select * from finish();
rollback;
