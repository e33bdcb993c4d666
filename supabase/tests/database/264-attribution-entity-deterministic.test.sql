-- private.traffic_attribution_entity is deterministic (review R6 L3): where the raw rows of one ad
-- or adset carry several parents, the entity step takes those of its latest day, then the lowest
-- campaign id, whatever order the rows were written in and whatever plan reads them (before, a
-- `limit 1` with no order returned the first row the plan met: the oldest day from the indexes,
-- the first written from a sequential scan). traffic_campaign_metrics counts the conversion there.
begin;
select plan(5);
select tests.create_fixture();

-- Ad e_ad1: written oldest day first; e_ad2: newest day first. Both moved from c_old / s_old to
-- c_new / s_new. Adset e_set1 moved from campaign c_old to c_new; adset e_set2 has two ads under
-- two campaigns on its one (latest) day, c_z written first.
insert into public.traffic_facebook_ads_raw (user_id, account_id, campaign_id, campaign_name,
  adset_id, ad_id, stat_date, spend)
values
  (tests.uid('a'), 'pgtap', 'c_old', 'Old', 's_old', 'e_ad1', '2000-01-10', 0),
  (tests.uid('a'), 'pgtap', 'c_new', 'New', 's_new', 'e_ad1', '2000-01-20', 0),
  (tests.uid('a'), 'pgtap', 'c_new', 'New', 's_new', 'e_ad2', '2000-01-20', 0),
  (tests.uid('a'), 'pgtap', 'c_old', 'Old', 's_old', 'e_ad2', '2000-01-10', 0),
  (tests.uid('a'), 'pgtap', 'c_old', 'Old', 'e_set1', 'e_x1', '2000-01-10', 0),
  (tests.uid('a'), 'pgtap', 'c_new', 'New', 'e_set1', 'e_x2', '2000-01-20', 0),
  (tests.uid('a'), 'pgtap', 'c_z', 'Z', 'e_set2', 'e_y1', '2000-01-20', 0),
  (tests.uid('a'), 'pgtap', 'c_a', 'A', 'e_set2', 'e_y2', '2000-01-20', 0),
  (tests.uid('a'), 'pgtap', 'c_a', 'A', 'e_set2', 'e_y3', '2000-01-05', 0);

create temporary table entity_cases on commit drop as
select * from (values
  ('1 ad written oldest first', 'e_ad1', null::text, null::text),
  ('2 ad written newest first', null, 'e_ad2', null),
  ('3 adset moved', 'e_set1', null, null),
  ('4 adset, two campaigns on its latest day', null, null, 'e_set2'),
  ('5 campaign', 'c_old', null, null)
) as c(name, utm_content, utm_term, utm_campaign);

create temporary view entity_answers as
select c.name, e.campaign_id, e.adset_id, e.ad_id
from entity_cases c
cross join lateral private.traffic_attribution_entity(tests.uid('a'), c.utm_content,
  c.utm_term, c.utm_campaign) e;

create temporary table expected on commit drop as
select * from (values
  ('1 ad written oldest first', 'c_new', 's_new', 'e_ad1'),
  ('2 ad written newest first', 'c_new', 's_new', 'e_ad2'),
  ('3 adset moved', 'c_new', 'e_set1', null::text),
  ('4 adset, two campaigns on its latest day', 'c_a', 'e_set2', null),
  ('5 campaign', 'c_old', null, null)
) as x(name, campaign_id, adset_id, ad_id);

-- The same answer from the indexes and from a sequential scan.
set local enable_seqscan = off;
set local enable_bitmapscan = off;
select results_eq(
  $$select * from entity_answers order by name$$,
  $$select * from expected order by name$$,
  'read through the indexes: each ad''s and adset''s parents of its latest day, then the lowest '
  'campaign id');
set local enable_seqscan = on;
set local enable_indexscan = off;
set local enable_indexonlyscan = off;
select results_eq(
  $$select * from entity_answers order by name$$,
  $$select * from expected order by name$$,
  'read by a sequential scan: the same answers');
reset enable_seqscan;
reset enable_bitmapscan;
reset enable_indexscan;
reset enable_indexonlyscan;

-- Through the route's function: a lead and a sale naming e_ad1 (and a lead naming adset e_set2)
-- count under their latest campaign, at the campaign and adset levels.
insert into public.traffic_leads (amocrm_lead_id, user_id, created_at, utm_content, utm_term)
values (990026401, tests.uid('a'), '2000-01-20 06:00+00', 'e_ad1', null),
       (990026402, tests.uid('a'), '2000-01-20 06:00+00', null, 'e_set2');
insert into public.traffic_sales (amocrm_lead_id, user_id, product, sale_type, sale_amount,
  sold_at, status, utm_content)
values (990026401, tests.uid('a'), 'express', 'full', 1000.25, '2000-01-20 06:00+00', 'active',
  'e_ad1');
select tests.authenticate_as(tests.uid('a'));
select results_eq(
  $$select campaign_id, leads, sales, revenue
    from public.traffic_campaign_metrics('2000-01-20', '2000-01-20', 'Asia/Almaty', 'campaign')
    order by campaign_id$$,
  $$values ('c_a'::text, 1::bigint, 0::bigint, 0::numeric), ('c_new', 1, 1, 1000.25),
    ('c_z', 0, 0, 0)$$,
  'campaign level: the lead and sale of e_ad1 under c_new, the lead of e_set2 under c_a');
select results_eq(
  $$select campaign_id, adset_id, leads, sales
    from public.traffic_campaign_metrics('2000-01-20', '2000-01-20', 'Asia/Almaty', 'adset')
    where leads > 0 order by adset_id$$,
  $$values ('c_a'::text, 'e_set2'::text, 1::bigint, 0::bigint), ('c_new', 's_new', 1, 1)$$,
  'adset level: e_ad1''s under s_new, e_set2''s under (c_a, e_set2)');
reset role;

select is(
  (select count(*)::int from pg_proc p
    where p.oid = 'private.traffic_attribution_entity(uuid, text, text, text)'::regprocedure
      and p.prolang = (select oid from pg_language where lanname = 'sql')
      and p.proconfig is null and not p.prosecdef and p.provolatile = 's'),
  1, 'still plain stable SQL without a SET clause (inlined into its callers)');

select * from finish();
rollback;
