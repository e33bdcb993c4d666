-- traffic_api_metrics_page (GET /metrics) runs with a generic plan, made once per connection, for
-- every caller (20261207191700). The answers stay the same call after call and caller after
-- caller in one session (the plan made by the first caller's call serves the others).
begin;
select plan(4);
select tests.create_fixture();
-- Only a and b are active teams with stored rows here (a database holding other teams' rows, a
-- bench's or a dev stack's, would page them first; rolled back with the rest).
delete from public.traffic_aggregated_metrics
where user_id not in (tests.uid('a'), tests.uid('b')) and user_id is not null;

create temporary table answers (n int, who text, user_id uuid, team_name text, period text)
  on commit drop;
grant all on answers to authenticated;
create function pg_temp.ask(p_n int, p_who text, p_user uuid default null)
returns void
language sql
as $$
  insert into answers
  select p_n, p_who, (r ->> 'user_id')::uuid, r ->> 'team_name', r ->> 'period'
  from json_array_elements(public.traffic_api_metrics_page(array['30d'], p_user, 50, 0)
    -> 'data') as r
$$;
grant execute on function pg_temp.ask(int, text, uuid) to authenticated;

-- Seven rounds, the callers interleaved, in one session; a targetologist first (their call
-- makes the plan).
select tests.authenticate_as(tests.uid('a'));
select pg_temp.ask(1, 'a');
select tests.authenticate_as(tests.uid('admin'), true);
select pg_temp.ask(1, 'admin');
select pg_temp.ask(1, 'admin b', tests.uid('b'));
select tests.authenticate_as(tests.uid('b'));
select pg_temp.ask(1, 'b');
select tests.authenticate_as(tests.uid('a'));
select pg_temp.ask(n, 'a') from generate_series(2, 7) as n;
select tests.authenticate_as(tests.uid('admin'), true);
select pg_temp.ask(n, 'admin') from generate_series(2, 7) as n;
select pg_temp.ask(n, 'admin b', tests.uid('b')) from generate_series(2, 7) as n;
select tests.authenticate_as(tests.uid('b'));
select pg_temp.ask(n, 'b') from generate_series(2, 7) as n;
reset role;

select results_eq(
  $$select who, count(*)::int, count(distinct n)::int from answers group by who order by who$$,
  $$values ('a'::text, 7, 7), ('admin', 21, 7), ('admin b', 7, 7), ('b', 7, 7)$$,
  'every call answered: a targetologist one row, the admin three, the admin''s one team one');
select results_eq(
  $$select distinct who, user_id = tests.uid('a') as is_a, user_id = tests.uid('b') as is_b,
      team_name from answers where who in ('a', 'b') order by who$$,
  $$values ('a'::text, true, false, 'pgtap A'::text), ('b', false, true, 'pgtap B')$$,
  'each targetologist sees their own team only, call after call between the admin''s');
select results_eq(
  $$select distinct who, coalesce(user_id = tests.uid('a'), false) as is_a,
      coalesce(user_id = tests.uid('b'), false) as is_b, team_name
    from answers where who like 'admin%' order by who, team_name$$,
  $$values ('admin'::text, false, false, 'pgtap'::text), ('admin', true, false, 'pgtap A'),
    ('admin', false, true, 'pgtap B'), ('admin b', false, true, 'pgtap B')$$,
  'the admin sees both teams and the total, or the one team asked, call after call');
select ok(
  (select p.proconfig @> array['plan_cache_mode=force_generic_plan'] from pg_proc p
   where p.oid = 'public.traffic_api_metrics_page(text[], uuid, integer, integer)'::regprocedure),
  'metrics page: one generic plan per connection (the function''s SET clause)');

select * from finish();
rollback;
