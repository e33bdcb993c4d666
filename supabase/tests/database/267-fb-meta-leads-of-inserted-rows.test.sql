-- Inserted ad-days get their Meta leads from the inserted rows (migration 20261207193400): the
-- raw rows' insert trigger applies THE meta_leads rule (private.traffic_meta_lead_of, inlinable
-- SQL, its one definition, also what the refresh calls) to its transition table, without reading
-- traffic_facebook_ads_raw again. The first two tests and the "reads no raw row" test fail on the
-- code before it (the rule was written out in the refresh, which probed the raw rows per key); the
-- rest check that both ways agree, and what a row left by a write with the triggers off does.
begin;
select plan(9);
select tests.create_fixture();

select is(
  (select array_agg(p.proname::text) from pg_proc p
    where p.pronamespace = 'private'::regnamespace and p.proname = 'traffic_meta_lead_of'
      and p.prolang = (select oid from pg_language where lanname = 'sql')
      and not p.proisstrict and not p.prosecdef and p.proconfig is null
      and p.provolatile <> 'v' and p.proretset),
  array['traffic_meta_lead_of'],
  'the meta_leads rule is an inlinable set-returning SQL function');
select is(
  tests.functions_matching('with\s+ordinality\s+as\s+l\s*\(\s*action_type'),
  array['traffic_meta_lead_of'],
  'only traffic_meta_lead_of walks a lead list (the refresh and the insert trigger call it)');

-- Account 900201 has its own list (leadgen_grouped first); 900202 uses the default list
-- (lead > onsite_conversion.lead_grouped > leadgen_grouped > offsite_conversion.fb_pixel_lead).
insert into public.traffic_meta_lead_settings (account_id, lead_action_types)
values ('900201', array['leadgen_grouped', 'lead']);

create function pg_temp.raw(p_ad text, p_account text, p_day date, p_actions jsonb)
returns void language sql as $$
  insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id, campaign_id,
    adset_id, ad_id, stat_date, spend, synced_at, actions, actions_synced_at)
  values (tests.uid('a'), 'pgtap A', p_account, 'c267', 's267', p_ad, p_day, 1, now(), p_actions,
    case when p_actions is not null then now() end)
$$;

-- Raw-table scans of this transaction so far (pg_stat_xact_* counts the open transaction's).
create function pg_temp.raw_scans() returns bigint language sql as $$
  select coalesce(seq_scan, 0) + coalesce(idx_scan, 0) from pg_stat_xact_user_tables
  where relid = 'public.traffic_facebook_ads_raw'::regclass
$$;
select set_config('pgtap.scans', pg_temp.raw_scans()::text, true);
insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id, campaign_id,
  adset_id, ad_id, stat_date, spend, synced_at, actions, actions_synced_at)
select tests.uid('a'), 'pgtap A', a.account, 'c267', 's267', 'ad267-' || a.n || '-' || d,
  date '2001-03-01' + d, 1, now(), a.actions, now()
from generate_series(0, 9) d
cross join (values
  (1, '900201', '{"lead": [5, null], "leadgen_grouped": [3, "1.5"], "link_click": [40, null]}'::jsonb),
  (2, '900202', '{"lead": [2, null], "onsite_conversion.lead_grouped": [7, null]}'::jsonb),
  (3, '900202', '{"offsite_conversion.fb_pixel_lead": [4, "2.25"]}'::jsonb),
  (4, '900202', '{"link_click": [9, null]}'::jsonb),
  (5, '900202', '{}'::jsonb)) as a(n, account, actions);
select is(pg_temp.raw_scans() - current_setting('pgtap.scans')::bigint, 0::bigint,
  'an insert of 50 ad-days with lead types reads no raw row for their Meta leads');
select is(
  (select count(*)::int from public.traffic_meta_leads_by_ad where ad_id like 'ad267-%'), 30,
  'and derives them: 10 days x 3 lists holding a lead type');

select pg_temp.raw('solo', '900201', '2001-03-20', '{"lead": [1, null]}');
select pg_temp.raw('bare', '900202', '2001-03-20', null);
select is(
  (select array_agg(b.ad_id || ' ' || b.action_type || ' ' || b.meta_leads order by b.ad_id)
   from public.traffic_meta_leads_by_ad b
   where b.user_id = tests.uid('a') and b.stat_date in ('2001-03-01', '2001-03-20')),
  array['ad267-1-0 leadgen_grouped 3', 'ad267-2-0 lead 2',
    'ad267-3-0 offsite_conversion.fb_pixel_lead 4', 'solo lead 1'],
  'by the rule: the account''s own list first, else the default list; none without a lead type');

-- What the refresh derives from the same rows is what the insert derived.
create temporary table by_insert as
  select user_id, ad_id, stat_date, account_id, action_type, meta_leads
  from public.traffic_meta_leads_by_ad where stat_date between '2001-03-01' and '2001-03-31';
create temporary table daily_by_insert as
  select user_id, stat_date, meta_leads, ad_rows from public.traffic_meta_leads_daily
  where stat_date between '2001-03-01' and '2001-03-31';
select public.traffic_rebuild_meta_leads();
select set_eq(
  $$select user_id, ad_id, stat_date, account_id, action_type, meta_leads
    from public.traffic_meta_leads_by_ad where stat_date between '2001-03-01' and '2001-03-31'$$,
  'select * from by_insert',
  'the refresh (traffic_rebuild_meta_leads) derives the same Meta-lead rows');
select set_eq(
  $$select user_id, stat_date, meta_leads, ad_rows from public.traffic_meta_leads_daily
    where stat_date between '2001-03-01' and '2001-03-31'$$,
  'select * from daily_by_insert',
  'and the same daily rollup');

-- A Meta-lead row with no raw row can only be written with the triggers off; a page bringing
-- that ad-day then fails loudly instead of writing around it (traffic_rebuild_meta_leads repairs).
set local session_replication_role = replica;
insert into public.traffic_meta_leads_by_ad (user_id, ad_id, stat_date, account_id, action_type,
  meta_leads)
values (tests.uid('a'), 'orphan', '2001-03-21', '900202', 'lead', 99);
set local session_replication_role = origin;
select throws_ok(
  $$select pg_temp.raw('orphan', '900202', '2001-03-21', '{"lead": [1, null]}')$$,
  '23505', null,
  'an inserted ad-day whose Meta-lead row was left by a write with triggers off fails loudly');
select is(
  (select count(*)::int from public.traffic_facebook_ads_raw where ad_id = 'orphan'), 0,
  'and is not written');

select * from finish();
rollback;
