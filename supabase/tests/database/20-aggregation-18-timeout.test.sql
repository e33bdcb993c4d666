-- traffic_aggregate_metrics() carries its own statement_timeout, which PostgREST applies before
-- calling it, so a first run over a large backlog is not cut at the API's 8 s; the metrics
-- definition itself (called by the API per user) keeps the role's limit.
begin;
select plan(2);

select is(
  (select array_to_string(proconfig, ',') from pg_proc
    where oid = 'public.traffic_aggregate_metrics(text, date)'::regprocedure),
  'search_path="",statement_timeout=120s',
  'the aggregation run sets statement_timeout = 120s for its call');
select ok(
  not exists (select 1 from pg_proc, unnest(proconfig) c
    where oid = 'public.traffic_metrics_for_range(date, date, text)'::regprocedure
      and c like 'statement_timeout=%'),
  'the per-user range function keeps the caller''s limit');

select * from finish();
rollback;
