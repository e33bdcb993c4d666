-- An incremental traffic_aggregate_metrics() run leaves exactly what a full recompute would: after
-- each round of random changes across teams (leads added, deleted and re-attributed, sales added
-- and reversed, spend revised in USD / EUR / KZT, new ads, Meta leads, unattributed leads and
-- sales, a team deactivated, reactivated or renamed, changes outside the 30-day window, a rate
-- revision, a fold of the delta rollups amid them), every stored row (the team total included)
-- equals traffic_metrics_for_range() of its period, column for column. The random seed is
-- printed (diag) so a failure can be replayed.
begin;
select plan(16);
select tests.agg_fixture();

select (random() * 2 - 1)::float8 as seed \gset
select setseed(:seed);
select diag('seed ' || :'seed');

-- Twelve more teams, each with three ads in one currency, over the 50 days to 2026-11-09.
create temp table inc_team as
  select n, tests.create_user('inc' || n) as uid,
    (array['USD', 'EUR', 'KZT'])[1 + n % 3] as cur
  from generate_series(1, 12) as n;
insert into public.traffic_targetologist_settings (user_id, team_name)
  select uid, 'Inc ' || n from inc_team;
insert into public.exchange_rates (rate_date, currency, rate_kzt, quant, source)
  select d::date, c, case c when 'USD' then 460 else 500 end + (random() * 30)::int, 1, 'pgtap'
  from generate_series('2026-09-01'::date, '2026-11-05', '1 day') as d
  cross join (values ('USD'), ('EUR')) as x(c)
  where extract(isodow from d) < 6;
insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id, campaign_id,
    adset_id, ad_id, stat_date, spend, account_currency, impressions, clicks, reach)
  select t.uid, 'Inc ' || t.n, 'act-inc' || t.n, 'c-inc' || t.n, 'as-inc' || t.n,
    'ad-inc' || t.n || '-' || k, d::date, round((random() * 500)::numeric, 2), t.cur,
    (random() * 10000)::int, (random() * 200)::int, (random() * 8000)::int
  from inc_team t cross join generate_series(1, 3) as k
  cross join generate_series('2026-09-20'::date, '2026-11-09', '1 day') as d
  where random() < 0.6;
update public.traffic_facebook_ads_raw r
  set actions = jsonb_build_object('lead', jsonb_build_array((random() * 5)::int, null))
  where r.account_id like 'act-inc%' and random() < 0.3;

-- A round of random changes (p_round decides which kinds), then an aggregation run.
create function pg_temp.inc_round(p_round int) returns text
language plpgsql as $$
declare
  v_team inc_team;
begin
  for v_team in select * from inc_team order by random() limit 3 loop
    -- Leads on one of the team's ads, today, earlier in the window, or long before it.
    insert into public.traffic_leads (amocrm_lead_id, product, utm_source, utm_content,
      created_at)
    select 700000 + p_round * 1000 + v_team.n * 10 + k,
      (array['challenge3d', 'express', 'intensive1d'])[1 + (random() * 2)::int], 'facebook',
      'ad-inc' || v_team.n || '-' || (1 + (random() * 2)::int),
      (array['2026-11-09 08:00+00', '2026-10-20 08:00+00', '2026-06-01 08:00+00'])
        [1 + (random() * 2)::int]::timestamptz
    from generate_series(1, 1 + (random() * 2)::int) as k;
    -- A sale (or a prepayment) of the team, and the reversal of one of its sales.
    insert into public.traffic_sales (amocrm_lead_id, product, sale_type, sale_amount, sold_at,
      utm_source, utm_content)
    values (800000 + p_round * 1000 + v_team.n, 'challenge3d',
      (array['prepayment', 'full'])[1 + (random())::int], 1000 + (random() * 90000)::int,
      ('2026-11-0' || (1 + (random() * 8)::int) || ' 09:00+00')::timestamptz, 'facebook',
      'ad-inc' || v_team.n || '-1');
    update public.traffic_sales set status = 'reversed', reversed_at = now()
    where amocrm_lead_id = (select s.amocrm_lead_id from public.traffic_sales s
                            where s.utm_content like 'ad-inc' || v_team.n || '-%'
                              and s.status = 'active' order by random() limit 1);
    -- Spend revised on some of its ad-days, and a new ad.
    update public.traffic_facebook_ads_raw set spend = spend + round((random() * 50)::numeric, 2),
      clicks = clicks + 1
    where user_id = v_team.uid and random() < 0.2;
    insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id, campaign_id,
      adset_id, ad_id, stat_date, spend, account_currency, impressions)
    values (v_team.uid, 'Inc ' || v_team.n, 'act-inc' || v_team.n, 'c-inc' || v_team.n,
      'as-inc' || v_team.n, 'ad-inc' || v_team.n || '-r' || p_round,
      '2026-11-09'::date - (random() * 40)::int, 10, v_team.cur, 100);
    -- Meta leads on one of its ad-days (new, or one more than before).
    update public.traffic_facebook_ads_raw r
    set actions = coalesce(r.actions, '{}') || jsonb_build_object('lead', jsonb_build_array(
      coalesce((r.actions -> 'lead' ->> 0)::int + 1, 1 + (random() * 4)::int), null))
    where r.id = (select x.id from public.traffic_facebook_ads_raw x where x.user_id = v_team.uid
                  order by random() limit 1);
  end loop;
  -- A fold of the delta rows the writes above appended (it marks nothing: no sum changes), with
  -- more writes after it in the same transaction.
  perform private.traffic_fold_daily_rollups();
  -- A lead of a team deleted; an unattributed lead and sale (the total's own part).
  update public.traffic_leads set is_deleted = true
  where amocrm_lead_id = (select l.amocrm_lead_id from public.traffic_leads l
                          where not l.is_deleted and l.amocrm_lead_id >= 700000
                          order by random() limit 1);
  insert into public.traffic_leads (amocrm_lead_id, product, utm_source, created_at)
  values (900000 + p_round, 'express', 'nobody', '2026-11-08 08:00+00');
  insert into public.traffic_sales (amocrm_lead_id, product, sale_type, sale_amount, sold_at)
  values (900000 + p_round, 'express', 'full', 7000, '2026-11-09 03:00+00');
  if p_round % 3 = 0 then
    update public.traffic_targetologist_settings set is_active = not is_active
    where user_id = (select uid from inc_team order by random() limit 1);
  end if;
  if p_round % 4 = 1 then
    update public.traffic_targetologist_settings set team_name = team_name || '+'
    where user_id = (select uid from inc_team order by random() limit 1);
  end if;
  if p_round % 4 = 0 then
    -- A rate revision: every team's conversions on the days it governs.
    update public.exchange_rates set rate_kzt = rate_kzt + 1
    where rate_date = (select e.rate_date from public.exchange_rates e
                       where e.source = 'pgtap' and e.rate_date >= '2026-10-11'
                       order by random() limit 1);
  end if;

  return pg_temp.inc_run();
end
$$;

-- An aggregation run: its mode and how many stored rows differ from the full recompute.
create function pg_temp.inc_run() returns text
language plpgsql as $$
declare
  v_run jsonb;
  v_diff int;
begin
  v_run := public.traffic_aggregate_metrics('Asia/Almaty', '2026-11-09');
  select count(*) into v_diff from (
    (select r from agg_stored except all select r from agg_expected)
    union all
    (select r from agg_expected except all select r from agg_stored)) as d;
  return (v_run ->> 'mode') || ', ' || v_diff || ' rows differ';
end
$$;

-- Stored rows vs the full recompute (supabase/tests/helpers/003-aggregation-helpers.sql).
create temp view agg_stored as select * from tests.agg_stored_rows() as r;
create temp view agg_expected as select * from tests.agg_expected_rows('2026-11-09') as r;

select is(public.traffic_aggregate_metrics('Asia/Almaty', '2026-11-09') ->> 'mode', 'full',
  'the first run is full');
select is((select count(*)::int from agg_stored), 3 * (4 + 12 + 1), 'every active team and the total');

select is(pg_temp.inc_round(1), 'incremental, 0 rows differ', 'round 1 (a rename)');
select is(pg_temp.inc_round(2), 'incremental, 0 rows differ', 'round 2');
select is(pg_temp.inc_round(3), 'incremental, 0 rows differ', 'round 3 (a team (de)activated)');
select is(pg_temp.inc_round(4), 'full, 0 rows differ', 'round 4 (a rate revision: full run)');
select is(pg_temp.inc_round(5), 'incremental, 0 rows differ', 'round 5 (a rename)');
select is(pg_temp.inc_round(6), 'incremental, 0 rows differ', 'round 6 (a team (de)activated)');
select is(pg_temp.inc_round(7), 'incremental, 0 rows differ', 'round 7');
select is(pg_temp.inc_round(8), 'full, 0 rows differ', 'round 8 (a rate revision: full run)');
select is(pg_temp.inc_round(9), 'incremental, 0 rows differ', 'round 9 (a rename, (de)activation)');

-- An active team (rounds may have deactivated any).
select 'ad-inc' || t.n || '-1' as active_ad, t.uid as active_uid from inc_team t
  join public.traffic_targetologist_settings s on s.user_id = t.uid and s.is_active
  order by t.n limit 1 \gset

-- The check can fail: a stored number changed behind the run's back (and its mark dropped, as
-- if lost) is a difference, and a later run does not see it.
update public.traffic_aggregated_metrics set leads = leads + 1
  where user_id = :'active_uid' and period = '30d';
delete from private.traffic_aggregate_dirty;
select is((select count(*)::int from (select r from agg_stored except select r from agg_expected) x),
  1, 'the comparison sees a wrong stored row');
update public.traffic_aggregated_metrics set leads = leads - 1
  where user_id = :'active_uid' and period = '30d';
delete from private.traffic_aggregate_dirty;

-- Work follows what changed: one (active) team's new lead recomputes that team and the total.
insert into public.traffic_leads (amocrm_lead_id, product, utm_source, utm_content, created_at)
values (990901, 'express', 'facebook', :'active_ad', '2026-11-09 09:00+00');
create temp table one as select public.traffic_aggregate_metrics('Asia/Almaty', '2026-11-09') as r;
select is((select r ->> 'mode' || ' users_recomputed ' || (r ->> 'users_recomputed') || ' rows '
  || (r ->> 'rows_written') from one), 'incremental users_recomputed 1 rows 6',
  'one team''s lead: that team''s and the total''s 6 rows are computed');
-- A change outside the 30-day window computes nothing.
insert into public.traffic_leads (amocrm_lead_id, product, utm_source, utm_content, created_at)
values (990902, 'express', 'facebook', :'active_ad', '2026-08-01 09:00+00');
select is(public.traffic_aggregate_metrics('Asia/Almaty', '2026-11-09') ->> 'rows_written', '0',
  'a lead of August: nothing in the window changed, nothing computed');
-- A crash after the marks were consumed loses nothing: they come back with the rollback.
insert into public.traffic_leads (amocrm_lead_id, product, utm_source, utm_content, created_at)
values (990903, 'intensive1d', 'facebook', :'active_ad', '2026-11-09 09:00+00');
savepoint before_crash;
create temp table crashed as
  select public.traffic_aggregate_metrics('Asia/Almaty', '2026-11-09') as r;
rollback to savepoint before_crash;
select is(pg_temp.inc_run(), 'incremental, 0 rows differ',
  'a run rolled back after consuming the marks: the next run still sees that lead');
-- And a forced full recompute finds nothing to rewrite.
insert into private.traffic_aggregate_dirty (full_run) values (true);
select is((select r ->> 'mode' || ' ' || (r ->> 'rows_changed')
  from (select public.traffic_aggregate_metrics('Asia/Almaty', '2026-11-09') as r) x),
  'full 0', 'a full recompute after the incremental runs rewrites no row');

select * from finish();
rollback;
