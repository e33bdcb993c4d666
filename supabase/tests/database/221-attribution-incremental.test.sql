-- Incremental re-attribution (only queued rows and rows naming an id or utm_source whose owner
-- changed) gives exactly what a full recompute over every row gives, and the webhook's rule is the
-- same function: after a mix of directory, settings and lead changes the two agree row for row.
begin;
select plan(6);
select tests.agg_fixture();
select public.traffic_resolve_attribution();

select is((select count(*)::int from private.traffic_attribution_queue), 0,
  'a run drains the queue');
select is((select count(*)::int from public.traffic_leads l
           cross join lateral private.traffic_attribution_rule(l.utm_content, l.utm_term,
             l.utm_campaign, l.utm_source) r
           where (l.user_id, l.attributed_by) is distinct from (r.user_id, r.attributed_by)), 0,
  'every lead holds what the rule says');

-- Changes of every kind between two runs.
insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id, campaign_id,
  adset_id, ad_id, stat_date, spend, account_currency)
values (tests.agg_user('b'), 'Bravo', 'act_b', 'c-late', 'as-late', 'ad-late', '2026-11-09', 0,
  'EUR'),
  -- an id A already has at campaign level appears as B's ad: a better level moves it
  (tests.agg_user('b'), 'Bravo', 'act_b', 'c-b9', 'as-b9', 'c-a1', '2026-11-09', 0, 'EUR');
delete from public.traffic_facebook_ads_raw where ad_id = 'ad-c1';
update public.traffic_targetologist_settings set utm_sources = '{}'
  where user_id = tests.agg_user('d');
update public.traffic_targetologist_settings set utm_sources = '{facebook}'
  where user_id = tests.agg_user('c');
update public.traffic_leads set utm_content = 'ad-b1' where amocrm_lead_id = 6;
insert into public.traffic_leads (amocrm_lead_id, product, utm_source, utm_term, created_at)
values (30, 'express', 'nobody', 'as-b1', '2026-11-09 06:00:00+00');
-- a row someone attributed by hand, against the rule
update public.traffic_sales set user_id = tests.agg_user('c'), attributed_by = 'ad'
  where amocrm_lead_id = 104;

select ok((public.traffic_resolve_attribution() ->> 'leads_updated')::int > 0,
  'the incremental run re-attributes what changed');
create temp table incremental as
  select 'lead' as kind, amocrm_lead_id, user_id, attributed_by from public.traffic_leads
  union all
  select 'sale', amocrm_lead_id, user_id, attributed_by from public.traffic_sales;

-- A full recompute (what a repair asks for) finds nothing left to change.
insert into private.traffic_attribution_queue (kind) values ('all');
select is(public.traffic_resolve_attribution() - 'ambiguous_utm_sources' - 'ambiguous_ids',
  '{"leads_updated": 0, "sales_updated": 0}'::jsonb,
  'a full recompute after the incremental run changes nothing');
select set_eq($$select 'lead', amocrm_lead_id, user_id, attributed_by from public.traffic_leads
    union all select 'sale', amocrm_lead_id, user_id, attributed_by from public.traffic_sales$$,
  'select * from incremental', 'incremental and full agree row for row');
select results_eq($$select user_id, attributed_by from public.traffic_leads
    where amocrm_lead_id = 2$$,
  $$values (tests.agg_user('b'), 'ad')$$,
  'an id that became another user''s ad moved to the better level');

select * from finish();
rollback;
