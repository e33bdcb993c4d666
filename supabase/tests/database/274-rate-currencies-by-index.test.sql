-- The dashboard metrics' rate grid reads the currencies ever stored one index entry each
-- (private.traffic_rate_currencies, 20261207174000): a rate history of any length costs the same
-- few probes. Before, private.traffic_metrics_rows read `select distinct currency from
-- exchange_rates`, every rate row of the history, on every /metrics/range miss and aggregation run.
begin;
select plan(5);

-- Two years of daily rates of three currencies (plus whatever the migrations seeded).
insert into public.exchange_rates (rate_date, currency, rate_kzt, source)
select d::date, c, 500, 'pgtap'
from generate_series('2030-01-01'::date, '2031-12-31'::date, interval '1 day') as d
cross join (values ('USD'), ('EUR'), ('RUB')) as v(c)
on conflict do nothing;
analyze public.exchange_rates;

select results_eq(
  $$select currency from private.traffic_rate_currencies() order by 1$$,
  $$select distinct currency from public.exchange_rates order by 1$$,
  'every currency that has a rate, once');

-- Rows the function's plan reads from exchange_rates (EXPLAIN ANALYZE, every node on the table).
create function pg_temp.rows_read(p_sql text)
returns numeric
language plpgsql
as $$
declare
  v_plan json;
begin
  execute 'explain (analyze, format json) ' || p_sql into v_plan;
  return (
    with recursive n(node) as (
      select v_plan -> 0 -> 'Plan'
      union all
      select c.value from n cross join lateral json_array_elements(n.node -> 'Plans') as c
    )
    select coalesce(sum((n.node ->> 'Actual Rows')::numeric
      * (n.node ->> 'Actual Loops')::numeric), 0)
    from n where n.node ->> 'Relation Name' = 'exchange_rates');
end
$$;
-- One index entry per currency (and one probe past the last), counted in the plan's two scan
-- nodes: bounded by the number of currencies, whatever the length of the history. (The test
-- stack's earlier tests leave rates of other currencies behind: the bound is not a constant.)
select cmp_ok(
  pg_temp.rows_read('select * from private.traffic_rate_currencies()'), '<=',
  (select 2 * count(distinct currency) + 2 from public.exchange_rates)::numeric,
  'the currencies of 2,190+ rate rows are read as one index entry each');
select cmp_ok(
  (select count(*) from public.exchange_rates)::numeric, '>',
  (select 10 * (2 * count(distinct currency) + 2) from public.exchange_rates)::numeric,
  'the history is long enough for the bound to mean something (10x the rows the walk reads)');

select is(
  tests.functions_matching('distinct\s+\w+\.currency\s+from\s+public\.exchange_rates'),
  null::text[],
  'no function reads the distinct currencies from every rate row');
select ok(
  pg_get_functiondef('private.traffic_metrics_rows(date, date, text, uuid[], text)'::regprocedure)
    ~ 'private\.traffic_rate_currencies\(\)',
  'traffic_metrics_rows builds its rate grid from traffic_rate_currencies');

select * from finish();
rollback;
