-- The per-day totals (migration 20261207113500) equal the sums of their rollups after random
-- writes: raw rows written, re-written (replays) and deleted, Meta actions, leads and sales
-- inserted, re-attributed, deleted and reversed, folds of the rollups and of the totals in
-- between, rate changes, a rebuild. And what reads them answers exactly what the per-team
-- computation answers: an admin's GET /daily (traffic_api_daily) against the per-row reference
-- below (the old computation: every active team's rollup rows, leads and sales of the range), and
-- the team total of a page of /metrics/range against the total of every team computed fresh
-- (private.traffic_metrics_rows with p_users null), shaped as the API serves them.
begin;
select plan(14);

select setseed(0.248);
select tests.create_user('dt_t' || i) from generate_series(1, 5) as i;
select tests.create_user('dt_none');
select tests.create_user('dt_admin', true);
insert into public.traffic_targetologist_settings (user_id, team_name, is_active)
select tests.uid('dt_t' || i), 'DT team ' || i, i <> 5 from generate_series(1, 5) as i;

-- Rates on the weekdays of the range (a weekend takes Friday's), changed below.
insert into public.exchange_rates (rate_date, currency, rate_kzt, source)
select d::date, c, case c when 'USD' then 470 + extract(day from d) else 517.37 end, 'pgtap'
from generate_series('2033-02-20'::date, '2033-03-31'::date, interval '1 day') as d
cross join (values ('USD'), ('EUR')) as x(c)
where extract(isodow from d) < 6
on conflict do nothing;

-- The writers, random, in rounds.
create function pg_temp.who(p_with_none boolean) returns uuid language sql volatile as $$
  select case when p_with_none and random() < 0.15 then tests.uid('dt_none')
    else tests.uid('dt_t' || (1 + floor(random() * 5))::int) end
$$;
create function pg_temp.round_of_writes(p_round int) returns void language plpgsql as $$
begin
  -- Raw rows (replays write the same keys again with other numbers: the upsert path).
  insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id, campaign_id,
    campaign_name, adset_id, adset_name, ad_id, ad_name, stat_date, spend, account_currency,
    impressions, clicks, reach, actions, actions_synced_at)
  select u, 'x', 'act_dt_' || c, 'c_dt', 'c', 's_dt', 's', 'ad_dt_' || a, 'ad',
    '2033-03-01'::date + d, round((random() * 300)::numeric, 2), c,
    (random() * 1000)::int, (random() * 50)::int, (random() * 800)::int,
    case when random() < 0.6 then jsonb_build_object('lead', jsonb_build_array(
      (floor(random() * 9))::text, '1.5')) end, now()
  from (select distinct on (u, a, d) *
        from (select pg_temp.who(true) as u,
                (array['USD', 'EUR', 'KZT'])[1 + floor(random() * 3)::int] as c,
                floor(random() * 6)::int as a, floor(random() * 12)::int as d
              from generate_series(1, 40)) as r) as g
  on conflict (user_id, ad_id, stat_date) do update
    set spend = excluded.spend, impressions = excluded.impressions, clicks = excluded.clicks,
      reach = excluded.reach, actions = excluded.actions;
  delete from public.traffic_facebook_ads_raw
  where account_id like 'act_dt_%' and random() < 0.08;
  -- Leads and sales of random users (some unattributed), local days around the range.
  insert into public.traffic_leads (amocrm_lead_id, product, utm_source, user_id, attributed_by,
    created_at)
  select 248000000 + p_round * 1000 + k, (array['challenge3d', 'express', 'intensive1d'])[1 + k % 3],
    'facebook', case when random() < 0.2 then null else pg_temp.who(true) end, null,
    '2033-03-01 00:00+05'::timestamptz + random() * interval '12 days'
  from generate_series(1, 30) as k;
  update public.traffic_leads set is_deleted = not is_deleted
  where amocrm_lead_id between 248000000 and 248999999 and random() < 0.1;
  update public.traffic_leads set user_id = pg_temp.who(true)
  where amocrm_lead_id between 248000000 and 248999999 and random() < 0.1;
  insert into public.traffic_sales (amocrm_lead_id, product, sale_type, sale_amount, sold_at,
    status, utm_source, user_id)
  select l.amocrm_lead_id, l.product,
    case when l.product = 'challenge3d' and random() < 0.5 then 'prepayment' else 'full' end,
    round((random() * 90000)::numeric, 2), l.created_at + interval '3 hours', 'active',
    'facebook', l.user_id
  from public.traffic_leads l
  where l.amocrm_lead_id between 248000000 + p_round * 1000 and 248000000 + p_round * 1000 + 999
    and random() < 0.4;
  update public.traffic_sales set status = 'reversed', reversed_at = now()
  where amocrm_lead_id between 248000000 and 248999999 and status = 'active' and random() < 0.1;
  update public.exchange_rates set rate_kzt = rate_kzt + 0.01
  where source = 'pgtap' and random() < 0.1;
end
$$;

select pg_temp.round_of_writes(1);
select pg_temp.round_of_writes(2);
select private.traffic_fold_daily_rollups();
select private.traffic_fold_day_totals();
select pg_temp.round_of_writes(3);
select private.traffic_fold_day_totals();
select pg_temp.round_of_writes(4);
select private.traffic_fold_daily_rollups();
select pg_temp.round_of_writes(5);

-- 1-4: every totals table is its rollup's sum per key (over every user, unattributed included).
select is(tests.day_totals_differ('traffic_spend_day_totals', 'public.traffic_spend_daily',
  'stat_date, account_currency', 'spend,impressions,clicks,reach'), 0::bigint,
  'spend totals = traffic_spend_daily summed per (day, currency)');
select is(tests.day_totals_differ('traffic_meta_leads_day_totals', 'public.traffic_meta_leads_daily',
  'stat_date', 'meta_leads'), 0::bigint, 'Meta-lead totals = traffic_meta_leads_daily summed per day');
select is(tests.day_totals_differ('traffic_leads_day_totals', 'private.traffic_leads_by_day', 'day',
  'leads,challenge3d_leads,express_leads,intensive1d_leads'), 0::bigint,
  'lead totals = traffic_leads_daily summed per day (after folds of both)');
select is(tests.day_totals_differ('traffic_sales_day_totals', 'private.traffic_sales_by_day', 'day',
  'challenge3d_prepayments,challenge3d_prepayment_revenue,challenge3d_full_payments,'
  'challenge3d_full_revenue,express_sales,express_revenue,intensive1d_sales,intensive1d_revenue'),
  0::bigint, 'sale totals = traffic_sales_daily summed per day');

-- 5: a fold leaves one row per key and changes no sum.
select private.traffic_fold_day_totals();
select is((select count(*) from (select day from private.traffic_leads_day_totals group by day
           having count(*) > 1) x), 0::bigint, 'after a fold: one lead-totals row per day');

-- The reference: GET /daily over every active team, per row (the computation before the totals).
create function pg_temp.daily_reference(p_from date, p_to date)
returns table (date date, spend_usd text, spend_kzt text, impressions bigint, clicks bigint,
  leads bigint, sales bigint, revenue text, meta_leads bigint)
language sql stable as $$
  with members as (select s.user_id from public.traffic_targetologist_settings s where s.is_active),
  spend as (
    select sd.stat_date as day, sum(x.spend_usd) as usd, sum(x.spend_kzt) as kzt,
      sum(sd.impressions) as impressions, sum(sd.clicks) as clicks
    from public.traffic_spend_daily sd
    cross join lateral private.traffic_day_rates(sd.account_currency, sd.stat_date) r
    cross join lateral private.traffic_spend_converted(sd.spend, sd.account_currency,
      sd.stat_date, r.cur_kzt, r.usd_kzt) x
    where sd.user_id in (select user_id from members) and sd.stat_date between p_from and p_to
    group by 1
  ),
  leads as (
    select (l.created_at at time zone 'Asia/Almaty')::date as day, count(*) as n
    from public.traffic_leads l
    where not l.is_deleted and (l.user_id is null or l.user_id in (select user_id from members))
    group by 1
  ),
  sales as (
    select (s.sold_at at time zone 'Asia/Almaty')::date as day, count(*) as n,
      sum(s.sale_amount) as revenue
    from public.traffic_sales s
    where s.status = 'active' and (s.user_id is null or s.user_id in (select user_id from members))
    group by 1
  ),
  meta as (
    select md.stat_date as day, round(sum(md.meta_leads))::bigint as n
    from public.traffic_meta_leads_daily md
    where md.user_id in (select user_id from members)
    group by 1
  )
  select d::date, round(coalesce(sp.usd, 0), 2)::text, round(coalesce(sp.kzt, 0), 2)::text,
    coalesce(sp.impressions, 0)::bigint, coalesce(sp.clicks, 0)::bigint, coalesce(l.n, 0),
    coalesce(s.n, 0), round(coalesce(s.revenue, 0), 2)::text, coalesce(m.n, 0)
  from generate_series(p_from, p_to, interval '1 day') as d
  left join spend sp on sp.day = d::date
  left join leads l on l.day = d::date
  left join sales s on s.day = d::date
  left join meta m on m.day = d::date
  order by 1
$$;

-- 6-8: an admin's /daily equals the reference, over the range and parts of it.
select tests.authenticate_as(tests.uid('dt_admin'), true);
select results_eq(
  $$select date, spend_usd, spend_kzt, impressions, clicks, leads, sales, revenue, meta_leads
    from public.traffic_api_daily('2033-02-27', '2033-03-14', 'Asia/Almaty', null)$$,
  $$select * from pg_temp.daily_reference('2033-02-27', '2033-03-14')$$,
  'an admin''s GET /daily (from the totals) = every active team''s rows summed');
select results_eq(
  $$select date, spend_usd, spend_kzt, impressions, clicks, leads, sales, revenue, meta_leads
    from public.traffic_api_daily('2033-03-04', '2033-03-06', 'Asia/Almaty', null)$$,
  $$select * from pg_temp.daily_reference('2033-03-04', '2033-03-06')$$,
  'the same over three days');
select cmp_ok(
  (select sum(leads) from public.traffic_api_daily('2033-02-27', '2033-03-14', 'Asia/Almaty', null)),
  '>', 0::numeric, 'the range has leads (the comparison is not of zeros)');

-- 9: the team total of a page = the total of every team computed fresh, shaped alike.
create function pg_temp.total_of(p_users uuid[], p_from date, p_to date) returns jsonb
language sql stable as $$
  select to_jsonb(s) - 'computed_at' - 'updated_at'
  from private.traffic_metrics_rows(p_from, p_to, 'Asia/Almaty', p_users, null) as m
  cross join lateral private.traffic_api_metrics_shape(m) as s
  where m.user_id is null
$$;
select is(pg_temp.total_of(array[tests.uid('dt_t1')], '2033-02-27', '2033-03-14'),
  pg_temp.total_of(null, '2033-02-27', '2033-03-14'),
  'a page''s team total (from the totals) = every team''s total computed fresh');
select is(pg_temp.total_of(array[tests.uid('dt_t2'), tests.uid('dt_t3')], '2033-03-02', '2033-03-09'),
  pg_temp.total_of(null, '2033-03-02', '2033-03-09'),
  'the same for another page and range');
-- 11: the page's own rows are unchanged too.
select is(
  (select to_jsonb(s) - 'computed_at' - 'updated_at'
   from private.traffic_metrics_rows('2033-02-27', '2033-03-14', 'Asia/Almaty',
     array[tests.uid('dt_t2')], null) as m
   cross join lateral private.traffic_api_metrics_shape(m) as s where m.user_id is not null),
  (select to_jsonb(s) - 'computed_at' - 'updated_at'
   from private.traffic_metrics_rows('2033-02-27', '2033-03-14', 'Asia/Almaty', null, null) as m
   cross join lateral private.traffic_api_metrics_shape(m) as s
   where m.user_id = tests.uid('dt_t2')),
  'a page''s team row = that team''s row computed with every team');

-- 12: a fractional Meta-leads day: the total falls back to every team computed (the sum of each
-- team's rounded figure), and still equals it.
reset role;
update public.traffic_facebook_ads_raw set actions = jsonb_build_object('lead', jsonb_build_array('2.5', '1'))
where account_id like 'act_dt_%' and stat_date = '2033-03-03';
select tests.authenticate_as(tests.uid('dt_admin'), true);
select is(pg_temp.total_of(array[tests.uid('dt_t1')], '2033-02-27', '2033-03-14'),
  pg_temp.total_of(null, '2033-02-27', '2033-03-14'),
  'with a fractional Meta-leads day the page total still = every team''s total');

-- 13: a targetologist reads no totals (RLS), and their /daily is their own rows.
select tests.authenticate_as(tests.uid('dt_t1'));
select is((select count(*) from private.traffic_leads_day_totals), 0::bigint,
  'a targetologist reads no row of the totals');
select is((select cardinality(private.traffic_day_total_others())), 0,
  'nor the list of non-members');

select * from finish();
rollback;
