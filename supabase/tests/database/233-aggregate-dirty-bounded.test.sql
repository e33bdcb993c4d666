-- private.traffic_aggregate_dirty stays bounded while no aggregation run consumes it:
-- private.traffic_aggregate_dirty_compact() (pg_cron traffic-aggregate-dirty-compact) replaces a
-- statement-per-mark backlog by one mark per team (or one full-run mark), and the run that
-- finally comes does exactly what it would have done with the backlog.
begin;
select plan(10);
select tests.agg_fixture();

create temp view agg_stored as select * from tests.agg_stored_rows() as r;
create temp view agg_expected as select * from tests.agg_expected_rows('2026-11-09') as r;

select is((select schedule from cron.job where jobname = 'traffic-aggregate-dirty-compact'),
  '*/5 * * * *', 'the compaction runs every 5 minutes');

create temp table run0 as select public.traffic_aggregate_metrics('Asia/Almaty', '2026-11-09');
-- The aggregation stops; 120 statements later: spend revised on A's and B's ad-days one
-- statement at a time, new (unattributed until the run) leads, a team renamed.
do $$
begin
  for i in 1..40 loop
    update public.traffic_facebook_ads_raw set spend = spend + 1
    where user_id = tests.agg_user('a') and stat_date = ('2026-11-0' || (6 + i % 2))::date;
    update public.traffic_facebook_ads_raw set clicks = clicks + 1
    where user_id = tests.agg_user('b') and stat_date = '2026-11-09';
    insert into public.traffic_leads (amocrm_lead_id, product, utm_source, utm_content,
      created_at)
    values (990700 + i, 'express', 'facebook', 'ad-a1', '2026-11-09 06:00+00');
  end loop;
end
$$;
update public.traffic_targetologist_settings set team_name = 'Charlie 2'
where user_id = tests.agg_user('c');
select is((select count(*)::int from private.traffic_aggregate_dirty), 121,
  'without runs every statement left a mark');

-- What the run would do with the backlog as it is (undone: the compacted run must match it).
savepoint backlog;
select r ->> 'mode' || ' ' || (r ->> 'users_recomputed') || ' ' || (r ->> 'rows_written')
  as backlog_run
from (select public.traffic_aggregate_metrics('Asia/Almaty', '2026-11-09') as r) x \gset
rollback to savepoint backlog;

select is(private.traffic_aggregate_dirty_compact(),
  '{"marks_before": 121, "marks_after": 4}'::jsonb,
  'the compaction leaves one mark per team and one for the unattributed rows');
select set_eq(
  'select user_id, first_day, last_day, full_run from private.traffic_aggregate_dirty',
  $$values (tests.agg_user('a'), '2026-11-06'::date, '2026-11-07'::date, false),
           (tests.agg_user('b'), '2026-11-09', '2026-11-09', false),
           (tests.agg_user('c'), '-infinity', 'infinity', false),
           (null, '2026-11-09', '2026-11-09', false)$$,
  'each mark spans its team''s first to last changed day');
select is(private.traffic_aggregate_dirty_compact(),
  '{"marks_before": 4, "marks_after": 4}'::jsonb, 'compacting again changes nothing');
select is((select r ->> 'mode' || ' ' || (r ->> 'users_recomputed') || ' ' || (r ->> 'rows_written')
  from (select public.traffic_aggregate_metrics('Asia/Almaty', '2026-11-09') as r) x),
  :'backlog_run', 'the run after the compaction does what it would have done with the backlog');
select set_eq('select r from agg_stored', 'select r from agg_expected',
  'every stored row equals traffic_metrics_for_range of its period');

-- A full-run mark supersedes the rest: one mark is left, and the run is full.
update public.traffic_facebook_ads_raw set spend = spend + 1
where user_id = tests.agg_user('a') and stat_date = '2026-11-09';
select public.traffic_aggregate_request_full();
insert into public.traffic_leads (amocrm_lead_id, product, utm_source, created_at)
values (990799, 'express', 'nobody', '2026-11-09 06:00+00');
select is(private.traffic_aggregate_dirty_compact(),
  '{"marks_before": 3, "marks_after": 1}'::jsonb, 'with a full-run mark one mark is left');
select is((select full_run from private.traffic_aggregate_dirty), true, 'and it is a full-run mark');
select is((select r ->> 'mode' from (select public.traffic_aggregate_metrics('Asia/Almaty',
  '2026-11-09') as r) x), 'full', 'the next run is full');

select * from finish();
rollback;
