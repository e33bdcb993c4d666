-- The per-day totals (migration 20261207113500) after the repairs and a truncate, and an admin's
-- /daily computing the non-members' list once (review R5 L1, L2; migrations 20261207123232 and
-- 20261207123242).
-- 1-3: a rollup row changed with triggers off (session_replication_role = replica: a data-only
-- restore, a hand fix) leaves the totals off by that change; public.traffic_rebuild_rollups()
-- repairs the spend and lead totals with the rollups, public.traffic_rebuild_meta_leads() the
-- Meta-lead totals. 4-5: a truncate of a rollup empties its totals, and the repair refills them.
-- 6-7: an admin's GET /daily over a range with many non-member Meta-lead rows answers the members'
-- figure and evaluates private.traffic_day_total_others() at most twice (once for the series,
-- once for the Meta leads), not once per rollup row (pg_stat_xact_user_functions).
begin;
select plan(7);

select tests.create_user('rp_t1');
select tests.create_user('rp_none');
select tests.create_user('rp_admin', true);
insert into public.traffic_targetologist_settings (user_id, team_name, is_active)
values (tests.uid('rp_t1'), 'RP team', true);

-- Raw rows (through their triggers: spend rollups and totals kept), one with a Meta lead.
insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id, campaign_id,
  campaign_name, adset_id, adset_name, ad_id, ad_name, stat_date, spend, account_currency,
  impressions, clicks, reach)
select tests.uid('rp_t1'), 'x', 'act_rp', 'c_rp', 'c', 's_rp', 's', 'ad_rp_' || d, 'ad',
  '2034-05-01'::date + d, 10.25 + d, 'USD', 100, 5, 80
from generate_series(0, 4) as d;
insert into public.traffic_leads (amocrm_lead_id, product, utm_source, user_id, created_at)
select 249000000 + k, 'express', 'facebook', tests.uid('rp_t1'),
  '2034-05-01 10:00+05'::timestamptz + k * interval '1 day'
from generate_series(0, 3) as k;


-- Rollup rows changed behind the triggers' back.
set local session_replication_role = replica;
update public.traffic_spend_daily set spend = spend + 7, impressions = impressions + 1
where user_id = tests.uid('rp_t1') and stat_date = '2034-05-02';
update public.traffic_leads_daily set leads = leads + 3, express_leads = express_leads + 3
where user_id = tests.uid('rp_t1');
insert into public.traffic_meta_leads_daily (user_id, stat_date, meta_leads, ad_rows)
values (tests.uid('rp_t1'), '2034-05-03', 4, 1);
set local session_replication_role = origin;

select public.traffic_rebuild_rollups();
select is(tests.day_totals_differ('traffic_spend_day_totals', 'public.traffic_spend_daily',
  'stat_date, account_currency', 'spend,impressions,clicks,reach'), 0::bigint,
  'after traffic_rebuild_rollups the spend totals = traffic_spend_daily summed per (day, currency)');
select is(tests.day_totals_differ('traffic_leads_day_totals', 'private.traffic_leads_by_day', 'day',
  'leads,challenge3d_leads,express_leads,intensive1d_leads'), 0::bigint,
  'after traffic_rebuild_rollups the lead totals = traffic_leads_daily summed per day');
select public.traffic_rebuild_meta_leads();
select is(tests.day_totals_differ('traffic_meta_leads_day_totals', 'public.traffic_meta_leads_daily',
  'stat_date', 'meta_leads'), 0::bigint,
  'after traffic_rebuild_meta_leads the Meta-lead totals = traffic_meta_leads_daily summed per day');

truncate public.traffic_spend_daily;
select is((select count(*) from private.traffic_spend_day_totals), 0::bigint,
  'a truncate of traffic_spend_daily empties its totals');
select public.traffic_rebuild_rollups();
select is(tests.day_totals_differ('traffic_spend_day_totals', 'public.traffic_spend_daily',
  'stat_date, account_currency', 'spend,impressions,clicks,reach'), 0::bigint,
  'and the repair after it refills them with the rollup');

-- Many Meta-lead rows of a user outside the active teams, a few of the member's.
insert into public.traffic_meta_leads_daily (user_id, stat_date, meta_leads, ad_rows)
select tests.uid('rp_none'), '2034-06-01'::date + d, 2, 1 from generate_series(0, 19) as d;
insert into public.traffic_meta_leads_daily (user_id, stat_date, meta_leads, ad_rows)
select tests.uid('rp_t1'), '2034-06-01'::date + d, 1, 1 from generate_series(0, 19) as d;
set local track_functions = 'all';
create temp table rp_daily as select 0 as n with no data;
grant insert, select on rp_daily to authenticated;
select tests.authenticate_as(tests.uid('rp_admin'), true);
insert into rp_daily
select sum(meta_leads)::int from public.traffic_api_daily('2034-06-01', '2034-06-20',
  'Asia/Almaty', null);
reset role;
select is((select n from rp_daily), 20,
  'an admin''s /daily counts the members'' Meta leads only (20 of 60)');
select cmp_ok(
  (select coalesce(sum(f.calls), 0)::bigint from pg_stat_xact_user_functions f
   where f.schemaname = 'private' and f.funcname = 'traffic_day_total_others'),
  '<=', 2::bigint,
  'an admin''s /daily evaluates traffic_day_total_others() once per use, not per rollup row');

select * from finish();
rollback;
