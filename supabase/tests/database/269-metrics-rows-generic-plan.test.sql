-- private.traffic_metrics_rows (GET /metrics/range, the aggregation) plans its query once per
-- connection (a generic plan) for traffic-api's pages of up to 50 teams that do not compute every
-- team, and keeps a plan per call for everything else (20261207190400; the rate grid's statement
-- too since 20261207194400). Its reads are split into
-- a branch per case (p_users' rows, or every team's) so that a generic plan runs the right one.
-- The answers stay the same call after call and caller after caller in one session (a generic
-- plan made by the first call, shared by the interleaved callers; the custom-plan callers in
-- between).
begin;
select plan(9);
select tests.create_fixture();
-- Only a and b are active teams here (a database that holds other teams' rows, a bench's or a
-- dev stack's, would page them first; rolled back with the rest).
update public.traffic_targetologist_settings set is_active = false
where user_id not in (tests.uid('a'), tests.uid('b'));

create temporary table answers (n int, who text, tz text, user_id uuid, spend_usd text,
  leads int, total_revenue text) on commit drop;
grant all on answers to authenticated, service_role;
-- One page of the range 2000-01-01 as traffic-api asks for it; the rows of a, b and the total.
create function pg_temp.ask(p_n int, p_who text, p_tz text, p_user uuid default null)
returns void
language sql
as $$
  insert into answers
  select p_n, p_who, p_tz, (r ->> 'user_id')::uuid, r ->> 'spend_usd', (r ->> 'leads')::int,
    r ->> 'total_revenue'
  from json_array_elements(public.traffic_api_metrics_range_page('2000-01-01', '2000-01-01',
    p_tz, p_user, 50, 0) -> 'data') as r
  where (r ->> 'user_id') is null or (r ->> 'user_id')::uuid in (tests.uid('a'), tests.uid('b'))
$$;
grant execute on function pg_temp.ask(int, text, text, uuid) to authenticated;
-- The aggregation's full run (every team, custom plan) of the same day.
create function pg_temp.ask_all(p_n int, p_tz text)
returns void
language sql
as $$
  insert into answers
  select p_n, 'service', p_tz, m.user_id, round(m.spend_usd, 2)::text, m.leads,
    round(m.total_revenue, 2)::text
  from private.traffic_metrics_rows('2000-01-01', '2000-01-01', p_tz, null, null) as m
  where m.user_id is null or m.user_id in (tests.uid('a'), tests.uid('b'))
$$;
grant execute on function pg_temp.ask_all(int, text) to service_role;

-- Seven rounds, the callers and time zones interleaved, in one session.
select tests.authenticate_as(tests.uid('a'));
select pg_temp.ask(1, 'a', 'Asia/Almaty');
select tests.authenticate_as(tests.uid('b'));
select pg_temp.ask(1, 'b', 'Asia/Almaty');
select pg_temp.ask(1, 'b', 'UTC');
select tests.authenticate_as(tests.uid('admin'), true);
select pg_temp.ask(1, 'admin', 'Asia/Almaty');
select pg_temp.ask(1, 'admin', 'UTC');
select pg_temp.ask(1, 'admin b', 'Asia/Almaty', tests.uid('b'));
select tests.authenticate_as_service_role();
select pg_temp.ask_all(1, 'Asia/Almaty');
select tests.authenticate_as(tests.uid('a'));
select pg_temp.ask(n, 'a', 'Asia/Almaty') from generate_series(2, 4) as n;
select tests.authenticate_as(tests.uid('b'));
select pg_temp.ask(n, 'b', 'Asia/Almaty') from generate_series(2, 4) as n;
select tests.authenticate_as(tests.uid('a'));
select pg_temp.ask(n, 'a', 'Asia/Almaty') from generate_series(5, 7) as n;
select tests.authenticate_as(tests.uid('b'));
select pg_temp.ask(n, 'b', 'UTC') from generate_series(2, 7) as n;
select pg_temp.ask(n, 'b', 'Asia/Almaty') from generate_series(5, 7) as n;
select tests.authenticate_as(tests.uid('a'));
select pg_temp.ask(n, 'a', 'UTC') from generate_series(1, 7) as n;
select tests.authenticate_as(tests.uid('admin'), true);
select pg_temp.ask(n, 'admin', 'Asia/Almaty') from generate_series(2, 7) as n;
select pg_temp.ask(n, 'admin', 'UTC') from generate_series(2, 7) as n;
select pg_temp.ask(n, 'admin b', 'Asia/Almaty', tests.uid('b')) from generate_series(2, 7) as n;
select tests.authenticate_as_service_role();
select pg_temp.ask_all(n, 'Asia/Almaty') from generate_series(2, 7) as n;
select tests.authenticate_as(tests.uid('a'));
select pg_temp.ask(8, 'a', 'Asia/Almaty');
select tests.authenticate_as(tests.uid('b'));
select pg_temp.ask(8, 'b', 'Asia/Almaty');
reset role;

select results_eq(
  $$select distinct tz, spend_usd, leads, total_revenue from answers where who = 'a'
    order by tz$$,
  $$values ('Asia/Almaty'::text, '10.00'::text, 1, '5000.00'::text),
    ('UTC', '10.00', 1, '5000.00')$$,
  'a targetologist''s page, 15 calls between others'' in the session: their own team, the same '
  'every time, from the rollups and from the rows');
select is((select count(*)::int from answers where who = 'a'), 15,
  'a targetologist''s page: one row (no total) per call');
-- A second targetologist between a's calls: the generic plan made by a's first call serves b with
-- b's p_users (review R8 M1).
select results_eq(
  $$select distinct tz, user_id = tests.uid('b') as is_b, spend_usd, leads, total_revenue
    from answers where who = 'b' order by tz$$,
  $$values ('Asia/Almaty'::text, true, '20.00'::text, 1, '7000.00'::text),
    ('UTC', true, '20.00', 1, '7000.00')$$,
  'another targetologist''s page, interleaved with a''s in the session: their own team, the same '
  'every time');
select is((select count(*)::int from answers where who = 'b'), 15,
  'the second targetologist''s page: one row per call');
select results_eq(
  $$select distinct tz, coalesce(user_id = tests.uid('a'), false) as is_a,
      coalesce(user_id = tests.uid('b'), false) as is_b, spend_usd, leads, total_revenue
    from answers where who = 'admin' order by tz, is_a, is_b$$,
  $$values ('Asia/Almaty'::text, false, false, '30.00'::text, 3, '21000.00'::text),
    ('Asia/Almaty', false, true, '20.00', 1, '7000.00'),
    ('Asia/Almaty', true, false, '10.00', 1, '5000.00'),
    ('UTC', false, false, '30.00', 3, '21000.00'),
    ('UTC', false, true, '20.00', 1, '7000.00'),
    ('UTC', true, false, '10.00', 1, '5000.00')$$,
  'an admin''s page: a, b and the total of every team (the total from the per-day totals in '
  'Asia/Almaty, every team computed in UTC), the same every call');
select results_eq(
  $$select distinct user_id = tests.uid('b'), spend_usd, leads, total_revenue from answers
    where who = 'admin b'$$,
  $$values (true, '20.00'::text, 1, '7000.00'::text)$$,
  'an admin''s page of one team: that team only, the same every call');
select results_eq(
  $$select distinct coalesce(user_id = tests.uid('a'), false) as is_a,
      coalesce(user_id = tests.uid('b'), false) as is_b, spend_usd, leads, total_revenue
    from answers where who = 'service' order by is_a, is_b$$,
  $$values (false, false, '30.00'::text, 3, '21000.00'::text),
    (false, true, '20.00', 1, '7000.00'), (true, false, '10.00', 1, '5000.00')$$,
  'the aggregation''s full run between the pages: every team and the total, the same every call');

-- The switch, inside the function's SET clause (which restores it on return), and the reads
-- split so that a generic plan can probe p_users' rows by index: no read filtered by
-- `v_every or ...` is left.
select results_eq(
  $$select p.prosrc ~ 'if not v_every and current_user = ''authenticated'' and cardinality\(p_users\) <= 50 then\s+perform set_config\(''plan_cache_mode'', ''force_generic_plan'', true\)',
      p.prosrc !~ 'v_every or',
      p.proconfig @> array['plan_cache_mode=force_custom_plan']
    from pg_proc p
    where p.oid = 'private.traffic_metrics_rows(date, date, text, uuid[], text)'::regprocedure$$,
  $$values (true, true, true)$$,
  'metrics rows: a generic plan for a page of up to 50 teams, the reads split per case');

-- The switch comes before the rate grid's statement (20261207194400), which is planned once per
-- connection too.
select ok(
  (select p.prosrc ~ 'force_generic_plan.*private\.traffic_rate_currencies' from pg_proc p
   where p.oid = 'private.traffic_metrics_rows(date, date, text, uuid[], text)'::regprocedure),
  'metrics rows: the generic plan from the rate grid on');

select * from finish();
rollback;
