-- Issue 16: each business rule has one definition that every caller uses.
--   * currency: private.traffic_rate_on (the effective rate) and private.traffic_spend_converted
--     (one day's spend to USD and KZT), inlined into the metrics functions;
--   * attribution: private.traffic_attribution_rule (the owner) and its entity step
--     private.traffic_attribution_entity (which of the owner's ads), which must agree;
--   * the order of a lead's events: private.amocrm_lead_events_in_order;
--   * date ranges: private.traffic_check_range;
--   * the lead-event log: private.amocrm_insert_lead_events, private.amocrm_event_lead_ids;
--   * traffic-api's metrics row shape (money to 2 places, ratios to 4, as text):
--     private.traffic_api_metrics_shape, used by the view traffic_api_metrics and by
--     traffic_api_metrics_range;
--   * the members a /daily or /campaigns read covers: private.traffic_visible_members.
-- The structural checks read the function bodies, so a copy of a rule written back into a caller
-- fails here.
begin;
select plan(24);

-- The conversion rule itself.
insert into public.exchange_rates (rate_date, currency, rate_kzt, source) values
  ('2030-01-01', 'USD', 500, 'pgtap'), ('2030-01-01', 'EUR', 550, 'pgtap');
select results_eq(
  $$select x.spend_usd, x.spend_kzt from private.traffic_day_rates('EUR', '2030-01-03') r
    cross join lateral private.traffic_spend_converted(10, 'EUR', '2030-01-03', r.cur_kzt,
      r.usd_kzt) x$$,
  $$values (11::numeric, 5500::numeric)$$,
  'EUR goes to USD via KZT at the latest rates on or before the day');
select results_eq(
  $$select x.spend_usd, x.spend_kzt from private.traffic_day_rates('USD', '2030-01-03') r
    cross join lateral private.traffic_spend_converted(10, 'USD', '2030-01-03', r.cur_kzt,
      r.usd_kzt) x$$,
  $$values (10::numeric, 5000::numeric)$$,
  'USD stays USD; its KZT is the day''s USD rate');
select is(
  (select r.rate_kzt from private.traffic_rate_on('KZT', '1990-01-01') r), 1::numeric,
  'KZT is 1 on any day');
select results_eq(
  $$select x.spend_usd, x.spend_kzt
    from private.traffic_spend_converted(0, 'GBP', '1990-01-01', null, null) x$$,
  $$values (0::numeric, 0::numeric)$$,
  'zero spend needs no rate');
select throws_ok(
  $$select * from private.traffic_spend_converted(1, 'GBP', '1990-01-01', null, null)$$,
  'TS001', 'missing exchange rate: no GBP rate on or before 1990-01-01',
  'spend without a rate raises the missing-rate SQLSTATE');

-- Inlinable: plain SQL, not strict, not security definer, no SET clause.
select is(
  (select array_agg(p.proname::text order by p.proname) from pg_proc p
    where p.pronamespace = 'private'::regnamespace
      and p.proname in ('traffic_rate_on', 'traffic_day_rates', 'traffic_spend_converted',
        'traffic_attribution_rule', 'traffic_attribution_entity', 'amocrm_lead_events_in_order')
      and p.prolang = (select oid from pg_language where lanname = 'sql')
      and not p.proisstrict and not p.prosecdef and p.proconfig is null
      and p.provolatile <> 'v' and p.proretset),
  array['amocrm_lead_events_in_order', 'traffic_attribution_entity', 'traffic_attribution_rule',
    'traffic_day_rates', 'traffic_rate_on', 'traffic_spend_converted'],
  'the rule functions are inlinable set-returning SQL');

-- One definition each: no other function body restates a rule.
select is(
  tests.functions_matching('\w\.rate_date\s*<='),
  array['traffic_rate_on'],
  'only traffic_rate_on looks up an effective rate');
select is(
  tests.functions_matching('(cur_kzt|usd_kzt)\s*(\)\s*)?[*/]|[*/]\s*(coalesce\s*\(\s*)?\w*\.?(cur_kzt|usd_kzt)'),
  array['traffic_spend_converted'],
  'only traffic_spend_converted multiplies or divides by a rate');
select is(
  tests.functions_matching('partition by e\.amocrm_lead_id'),
  array['amocrm_lead_events_in_order'],
  'only amocrm_lead_events_in_order numbers a lead''s events');
select is(
  tests.functions_matching('traffic_attribution_id_owners\s+o\s+on\s+o\.id\s*='),
  array['traffic_attribution_rule'],
  'only traffic_attribution_rule matches UTM values against the id owners');
select is(
  tests.functions_matching('>\s*366'),
  array['traffic_check_range'],
  'only traffic_check_range knows the 366-day limit');

-- The rule and its entity step agree: a lead the rule attributes at a level has, among its
-- owner's ads, an entity at that level.
select tests.create_user('once_a');
select tests.create_user('once_b');
insert into public.traffic_targetologist_settings (user_id, team_name, utm_sources) values
  (tests.uid('once_a'), 'Once A', '{once_src}'), (tests.uid('once_b'), 'Once B', '{}');
insert into public.traffic_facebook_ads_raw
  (user_id, account_id, campaign_id, adset_id, ad_id, stat_date, spend)
values (tests.uid('once_a'), '1', '990700003', '990700002', '990700001', '2024-06-10', 1),
  (tests.uid('once_b'), '2', '990700013', '990700012', '990700011', '2024-06-10', 1);
create temporary table cases on commit drop as
select * from (values
  ('c1', '990700003', '990700001', null::text, 'x'),      -- campaign in content, ad in term
  ('c2', null, '990700002', '990700013', 'x'),           -- adset (A) beats campaign (B)
  ('c3', '990700013', null, null, 'x'),                  -- campaign of B
  ('c4', 'nothing', null, null, 'ONCE_SRC'),              -- utm_source only
  ('c5', '990700011', '990700001', null, 'x')            -- two ads: utm_content first
) as c(name, utm_content, utm_term, utm_campaign, utm_source);
select results_eq(
  $$select c.name, r.user_id = tests.uid('once_a'), r.attributed_by,
      e.campaign_id, e.adset_id, e.ad_id
    from cases c
    cross join lateral private.traffic_attribution_rule(c.utm_content, c.utm_term,
      c.utm_campaign, c.utm_source) r
    cross join lateral private.traffic_attribution_entity(r.user_id, c.utm_content, c.utm_term,
      c.utm_campaign) e
    order by c.name$$,
  $$values ('c1', true, 'ad', '990700003', '990700002', '990700001'),
      ('c2', true, 'adset', '990700003', '990700002', null),
      ('c3', false, 'campaign', '990700013', null, null),
      ('c4', true, 'utm_source', null::text, null::text, null::text),
      ('c5', false, 'ad', '990700013', '990700012', '990700011')$$,
  'the owner''s entity is at the level the rule attributed by');
select is(
  tests.functions_matching('insert\s+into\s+private\.amocrm_lead_events\M'),
  array['amocrm_insert_lead_events'],
  'only amocrm_insert_lead_events writes the lead-event log (webhook and API alike)');
select is(
  tests.functions_matching('->>\s*''leadId''\)::bigint\s+order by'),
  array['amocrm_event_lead_ids'],
  'only amocrm_event_lead_ids collects the lead ids of an events array');
select is(
  (select count(*)::int from pg_proc p where p.proname = 'traffic_assert_date_range'), 0,
  'the second range check is gone');
select throws_ok(
  $$select * from public.traffic_metrics_for_range('2025-01-01', '2026-06-30')$$, '22023',
  'range too large: 546 days from 2025-01-01 to 2026-06-30; at most 366 are allowed, between '
  '2000-01-01 and 2099-12-31',
  'metrics over a year and a half: refused by the one range check');

-- traffic-api's metrics row shape: one inlinable function, no other rounding of those rows.
select is(
  (select count(*)::int from pg_proc p
    where p.oid = 'private.traffic_api_metrics_shape(public.traffic_aggregated_metrics)'::regprocedure
      and p.prolang = (select oid from pg_language where lanname = 'sql')
      and not p.proisstrict and not p.prosecdef and p.proconfig is null
      and p.provolatile <> 'v' and p.proretset),
  1, 'the metrics row shape is an inlinable set-returning SQL function');
select is(
  tests.functions_matching('round\(\s*\w+\.cost_per_lead_usd'),
  array['traffic_api_metrics_shape'],
  'only traffic_api_metrics_shape rounds a metrics row (traffic_api_metrics_range calls it)');
select ok(
  pg_get_viewdef('public.traffic_api_metrics'::regclass) !~* 'round\('
    and pg_get_viewdef('public.traffic_api_metrics'::regclass) ~ 'traffic_api_metrics_shape',
  'the view traffic_api_metrics shapes its rows with traffic_api_metrics_shape, not a copy');
-- The visible members: one function, called by both readers.
select is(
  tests.functions_matching('is_active\s+and\s+\(\s*p_user_id\s+is\s+null\s+or\s+\w+\.user_id\s*=\s*p_user_id\s*\)'),
  array['traffic_visible_members'],
  'only traffic_visible_members selects the members a read covers');
select is(
  tests.functions_matching('private\.traffic_visible_members\(p_user_id\)'),
  array['traffic_api_metrics_range_page', 'traffic_campaign_metrics_top', 'traffic_daily_series'],
  'traffic_daily_series, traffic_campaign_metrics (its body, private.traffic_campaign_metrics_top, '
  'since 20261207223300) and the /metrics/range page all call it');
-- The Meta-leads gap as /daily and /campaigns serve it: one function, called by both.
select is(
  tests.functions_matching('\*\s*100\.0\s*/\s*nullif'),
  array['traffic_meta_leads_gap'],
  'only traffic_meta_leads_gap computes the API''s meta_leads_gap_pct (traffic_api_daily and '
  'traffic_api_campaigns call it)');
select tests.create_user('once_c');
insert into public.traffic_targetologist_settings (user_id, team_name, is_active)
values (tests.uid('once_c'), 'Once C (inactive)', false);
select tests.authenticate_as(tests.uid('once_a'));
select is(private.traffic_visible_members(null), array[tests.uid('once_a')],
  'a targetologist''s read covers their own team (RLS)');
select tests.authenticate_as(tests.uid('once_c'), true);
select ok(
  tests.uid('once_a') = any(private.traffic_visible_members(null))
    and tests.uid('once_b') = any(private.traffic_visible_members(null))
    and not tests.uid('once_c') = any(private.traffic_visible_members(null))
    and private.traffic_visible_members(tests.uid('once_b')) = array[tests.uid('once_b')],
  'an admin''s read covers every active team; p_user_id narrows it; inactive ones never');
reset role;

select * from finish();
rollback;
