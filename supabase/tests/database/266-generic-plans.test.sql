-- traffic_daily_series plans its query once per connection (a generic plan) for every caller but
-- an admin in another time zone than the per-day totals' (20261207170500), and its answers stay
-- the same call after call and caller after caller in one session (a generic plan from the first
-- call, shared by the callers interleaved here). The SET clause keeps the switch
-- inside the function. traffic_campaign_metrics does the same for a read of one team
-- (20261207172000).
begin;
select plan(7);
select tests.create_fixture();

insert into public.exchange_rates (rate_date, currency, rate_kzt, source)
values ('2000-04-01', 'USD', 500, 'pgtap')
on conflict do nothing;
insert into public.traffic_facebook_ads_raw (user_id, account_id, campaign_id, ad_id, stat_date,
  spend, impressions, clicks, account_currency)
values (tests.uid('a'), 'pgtap', 'gp_c', 'gp_ad_a', '2000-04-02', 10.25, 100, 5, 'USD'),
       (tests.uid('b'), 'pgtap', 'gp_c', 'gp_ad_b', '2000-04-02', 1.50, 10, 1, 'USD');
insert into public.traffic_leads (amocrm_lead_id, user_id, created_at)
values (990026601, tests.uid('a'), '2000-04-02 06:00+00'),
       (990026602, tests.uid('b'), '2000-04-02 06:00+00');

create temporary table answers (n int, who text, tz text, day date, spend_usd numeric,
  leads bigint) on commit drop;
grant all on answers to authenticated;
create function pg_temp.ask(p_n int, p_who text, p_tz text)
returns void
language sql
as $$
  insert into answers
  select p_n, p_who, p_tz, d.date, d.spend_usd, d.leads
  from public.traffic_daily_series('2000-04-01', '2000-04-03', p_tz, null) d
$$;
grant execute on function pg_temp.ask(int, text, text) to authenticated;

-- Eight calls each, the callers and time zones interleaved, in one session.
select tests.authenticate_as(tests.uid('a'));
select pg_temp.ask(1, 'a', 'Asia/Almaty');
select tests.authenticate_as(tests.uid('a'), true);
select pg_temp.ask(1, 'admin', 'Asia/Almaty');
select pg_temp.ask(1, 'admin', 'UTC');
select tests.authenticate_as(tests.uid('a'));
select pg_temp.ask(n, 'a', 'Asia/Almaty') from generate_series(2, 8) as n;
select tests.authenticate_as(tests.uid('a'), true);
select pg_temp.ask(n, 'admin', 'Asia/Almaty') from generate_series(2, 8) as n;
select pg_temp.ask(n, 'admin', 'UTC') from generate_series(2, 8) as n;
select tests.authenticate_as(tests.uid('a'));
select pg_temp.ask(9, 'a', 'Asia/Almaty');
reset role;

select results_eq(
  $$select day, spend_usd, leads from answers where n = 9 and who = 'a' order by day$$,
  $$values ('2000-04-01'::date, 0::numeric, 0::bigint), ('2000-04-02', 10.25, 1),
    ('2000-04-03', 0, 0)$$,
  'a targetologist''s series, after 16 calls of others in the session: their own team');
select is(
  (select count(distinct (day, spend_usd, leads))::int from answers
   where who = 'a' and day = '2000-04-02'),
  1, 'the targetologist''s nine answers are the same');
select results_eq(
  $$select tz, day, spend_usd, leads from answers where n = 8 and who = 'admin'
    and day = '2000-04-02' order by tz$$,
  $$values ('Asia/Almaty'::text, '2000-04-02'::date, 11.75::numeric, 2::bigint),
    ('UTC', '2000-04-02', 11.75, 2)$$,
  'the admin''s eighth answers: every team, from the totals and from the rows');
select is(
  (select count(distinct (tz, day, spend_usd, leads))::int from answers
   where who = 'admin' and day = '2000-04-02'),
  2, 'the admin''s answers are the same call after call, in either time zone');

-- traffic_campaign_metrics: one team's read with a generic plan, several teams' with their own.
create temporary table campaign_answers (n int, who text, campaign_id text, spend_usd numeric,
  leads bigint) on commit drop;
grant all on campaign_answers to authenticated;
create function pg_temp.ask_campaigns(p_n int, p_who text)
returns void
language sql
as $$
  insert into campaign_answers
  select p_n, p_who, c.campaign_id, c.spend_usd, c.leads
  from public.traffic_campaign_metrics('2000-04-01', '2000-04-03', 'Asia/Almaty', 'campaign') c
$$;
grant execute on function pg_temp.ask_campaigns(int, text) to authenticated;
insert into public.traffic_leads (amocrm_lead_id, user_id, created_at, utm_content)
values (990026603, tests.uid('a'), '2000-04-02 07:00+00', 'gp_ad_a');
select tests.authenticate_as(tests.uid('a'));
select pg_temp.ask_campaigns(n, 'a') from generate_series(1, 7) as n;
select tests.authenticate_as(tests.uid('a'), true);
select pg_temp.ask_campaigns(n, 'admin') from generate_series(1, 7) as n;
select tests.authenticate_as(tests.uid('a'));
select pg_temp.ask_campaigns(8, 'a');
reset role;
select results_eq(
  $$select distinct who, campaign_id, spend_usd, leads from campaign_answers
    order by who, spend_usd$$,
  $$values ('a'::text, 'gp_c'::text, 10.25::numeric, 1::bigint),
    ('admin', 'gp_c', 1.50, 0), ('admin', 'gp_c', 10.25, 1)$$,
  'campaigns: the targetologist''s eight answers and the admin''s seven, each the same');
select is((select count(*)::int from campaign_answers), 22,
  'campaigns: 8 answers of one row, 7 of two');
-- The switches, each inside its function's SET clause (which restores the setting on return):
-- the series for every caller but an admin in another time zone, campaigns for one team only.
select results_eq(
  $$select p.proname = 'traffic_daily_series' as series,
      p.prosrc ~ 'if not v_all or v_all_days then\s+perform set_config\(''plan_cache_mode'', ''force_generic_plan'', true\)',
      p.prosrc ~ 'cardinality\(v_users\) <= 1 then\s+perform set_config\(''plan_cache_mode'', ''force_generic_plan'', true\)',
      p.proconfig @> array['plan_cache_mode=force_custom_plan']
    from pg_proc p
    where p.oid in ('public.traffic_daily_series(date, date, text, uuid)'::regprocedure,
      'private.traffic_campaign_metrics_top(date, date, text, text, uuid, bigint)'::regprocedure)
    order by 1$$,
  $$values (false, false, true, true), (true, true, false, true)$$,
  'generic plans: the series unless an admin reads another time zone, campaigns for one team');

select * from finish();
rollback;
