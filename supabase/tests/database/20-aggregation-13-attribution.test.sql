-- traffic_resolve_attribution(): ad > adset > campaign id in UTM values, then utm_source
-- (case-insensitive), else unattributed; idempotent; late campaign data re-attributes.
begin;
select plan(17);
select tests.agg_fixture();

-- An ad of A and a campaign of B in the same lead: the ad wins.
insert into public.traffic_leads (amocrm_lead_id, product, utm_campaign, utm_content, created_at)
values (20, 'express', 'c-b1', 'ad-a1', '2026-11-09 06:00:00+00');

select is(public.traffic_resolve_attribution() - 'ambiguous_utm_sources' - 'ambiguous_ids',
  '{"leads_updated": 9, "sales_updated": 7}'::jsonb, 'first run attributes 9 leads, 7 sales');

create temp table lead_attr as
  select l.amocrm_lead_id as id, l.user_id, l.attributed_by, l.attributed_at
  from public.traffic_leads l;
select results_eq('select user_id, attributed_by from lead_attr where id = 1',
  $$values (tests.agg_user('a'), 'ad')$$, 'utm_content = an ad_id -> ad');
select results_eq('select user_id, attributed_by from lead_attr where id = 3',
  $$values (tests.agg_user('a'), 'adset')$$, 'utm_term = an adset_id -> adset');
select results_eq('select user_id, attributed_by from lead_attr where id = 2',
  $$values (tests.agg_user('a'), 'campaign')$$, 'utm_campaign = a campaign_id -> campaign');
select results_eq('select user_id, attributed_by from lead_attr where id = 20',
  $$values (tests.agg_user('a'), 'ad')$$, 'an ad match beats a campaign match of another user');
select results_eq('select user_id, attributed_by from lead_attr where id = 6',
  $$values (tests.agg_user('a'), 'utm_source')$$,
  'utm_source FB_Alpha matches utm_sources {fb_alpha} case-insensitively');
select results_eq(
  'select user_id, attributed_by from public.traffic_sales where amocrm_lead_id = 107',
  $$values (tests.agg_user('d'), 'utm_source')$$, 'sales are attributed too (DELTA ~ {Delta})');
select is((select user_id from lead_attr where id = 8), null,
  'a campaign nobody has synced yet: unattributed');

-- Idempotent: nothing changes, nothing is written.
select is(public.traffic_resolve_attribution() - 'ambiguous_utm_sources' - 'ambiguous_ids',
  '{"leads_updated": 0, "sales_updated": 0}'::jsonb, 'a re-run writes nothing');
select is((select count(*)::int from public.traffic_leads l join lead_attr a
           on a.id = l.amocrm_lead_id where l.attributed_at is distinct from a.attributed_at), 0,
  'attributed_at untouched by a re-run');

-- The campaign of lead 8 is synced later, under B: the next run attributes the lead.
insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id, campaign_id,
  adset_id, ad_id, stat_date, spend, account_currency)
values (tests.agg_user('b'), 'Bravo', 'act_b', 'c-late', 'as-late', 'ad-late', '2026-11-09', 0,
  'EUR');
select is((public.traffic_resolve_attribution() ->> 'leads_updated')::int, 1,
  'late campaign data: exactly one lead re-attributed');
select results_eq(
  'select user_id, attributed_by from public.traffic_leads where amocrm_lead_id = 8',
  $$values (tests.agg_user('b'), 'campaign')$$, 'the late lead now belongs to B');
select is((select leads from public.traffic_metrics_for_range('2026-11-09', '2026-11-09')
           where user_id = tests.agg_user('b')), 2, 'and counts in B''s metrics');
select is((select unattributed_leads from public.traffic_metrics_for_range('2026-11-09',
           '2026-11-09') where user_id is null), 0, 'and no longer as unattributed');

-- Ambiguity is resolved deterministically (lowest user id; active first) and reported.
update public.traffic_targetologist_settings set utm_sources = '{FB_ALPHA}'
  where user_id = tests.agg_user('c');
insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id, campaign_id,
  adset_id, ad_id, stat_date, spend, account_currency)
values (tests.agg_user('c'), 'Charlie', 'act_c', 'c-c1', 'as-c1', 'ad-a1', '2026-11-09', 0, 'KZT');
select is(public.traffic_resolve_attribution() - 'leads_updated' - 'sales_updated',
  '{"ambiguous_ids": 1, "ambiguous_utm_sources": ["fb_alpha"]}'::jsonb,
  'a shared ad id and a shared utm_source are reported');
select is((select user_id from public.traffic_leads where amocrm_lead_id = 1),
  tests.agg_user('a'), 'a shared ad id goes to the lowest user id');
select is((select user_id from public.traffic_leads where amocrm_lead_id = 6),
  tests.agg_user('a'), 'a shared utm_source goes to the lowest user id');

select * from finish();
rollback;
