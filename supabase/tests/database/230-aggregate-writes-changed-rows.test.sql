-- traffic_aggregate_metrics() rewrites only rows whose numbers changed, and what it leaves in
-- place still equals traffic_metrics_for_range() for each period, column for column.
-- A row's physical location (ctid) moves when it is updated, so "not rewritten" is observable
-- inside one transaction (where now() does not move).
begin;
select plan(11);
select tests.agg_fixture();

-- Stored rows vs the single definition, every column but id and the two timestamps
-- (supabase/tests/helpers/003-aggregation-helpers.sql).
create temp view agg_stored as select * from tests.agg_stored_rows() as r;
create temp view agg_expected as select * from tests.agg_expected_rows('2026-11-09') as r;

create temp table run1 as select public.traffic_aggregate_metrics('Asia/Almaty', '2026-11-09') as r;
select is((select (r ->> 'rows_changed')::int from run1), 15, 'the first run writes all 15 rows');
select set_eq('select r from agg_stored', 'select r from agg_expected',
  'after the first run every row equals traffic_metrics_for_range of its period');

create temp table loc1 as select user_id, period, ctid::text as loc
  from public.traffic_aggregated_metrics;
create temp table run2 as select public.traffic_aggregate_metrics('Asia/Almaty', '2026-11-09') as r;
select is((select (r ->> 'rows_changed')::int from run2), 0, 'nothing new: no row is rewritten');
select is((select r ->> 'mode' || ' ' || (r ->> 'rows_written') from run2), 'incremental 0',
  'nothing new: an incremental run that computes nothing');
select is((select count(*)::int from public.traffic_aggregated_metrics t
           join loc1 l on l.user_id is not distinct from t.user_id and l.period = t.period
           where l.loc <> t.ctid::text), 0, 'every row stays where it was');

-- One new lead of A's today: A's three rows and the total's three change, nobody else's.
insert into public.traffic_leads (amocrm_lead_id, product, utm_source, utm_content, created_at)
values (990001, 'express', 'facebook', 'ad-a1', '2026-11-09 06:00:00+00');
create temp table loc2 as select user_id, period, ctid::text as loc
  from public.traffic_aggregated_metrics;
create temp table run3 as select public.traffic_aggregate_metrics('Asia/Almaty', '2026-11-09') as r;
select is((select r ->> 'mode' || ' ' || (r ->> 'rows_written') || ' ' || (r ->> 'rows_changed')
  from run3), 'incremental 6 6', 'one lead: an incremental run computes and rewrites 6 rows');
select set_eq(
  $$select coalesce(t.user_id::text, 'total'), t.period from public.traffic_aggregated_metrics t
    join loc2 l on l.user_id is not distinct from t.user_id and l.period = t.period
    where l.loc <> t.ctid::text$$,
  $$select u, p from (values ('total'), (tests.agg_user('a')::text)) as x(u)
    cross join (values ('today'), ('7d'), ('30d')) as y(p)$$,
  'exactly A''s and the total''s rows were rewritten');
select set_eq('select r from agg_stored', 'select r from agg_expected',
  'after the incremental run every row still equals traffic_metrics_for_range of its period');

-- A stored row that disagrees with its numbers (whatever the cause) is repaired by the next run.
update public.traffic_aggregated_metrics set roas = 999
  where user_id = tests.agg_user('b') and period = '7d';
select is((select count(*)::int from (select r from agg_stored except select r from agg_expected) x),
  1, 'the agreement check sees the tampered row (it can fail)');
create temp table run4 as select public.traffic_aggregate_metrics('Asia/Almaty', '2026-11-09') as r;
select is((select r ->> 'mode' || ' ' || (r ->> 'rows_changed') from run4), 'full 1',
  'a write to the stored rows makes the next run full: the wrong row is rewritten');
select set_eq('select r from agg_stored', 'select r from agg_expected',
  'and agrees with traffic_metrics_for_range again');

select * from finish();
rollback;
