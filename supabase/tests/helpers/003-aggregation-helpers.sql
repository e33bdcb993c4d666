-- What the aggregation tests compare: the stored dashboard rows against the one definition
-- (traffic_metrics_for_range) for today / 7d / 30d ending p_today, every column but id and the
-- two timestamps, as jsonb (so set_eq / except compare them by value).

begin;

create or replace function tests.agg_stored_rows()
returns setof jsonb
language sql
stable
set search_path = ''
as $$
  select to_jsonb(t) - 'id' - 'computed_at' - 'updated_at'
  from public.traffic_aggregated_metrics t
$$;
comment on function tests.agg_stored_rows() is
  'The stored traffic_aggregated_metrics rows as jsonb, without id, computed_at and updated_at.';

create or replace function tests.agg_expected_rows(p_today date, p_tz text default 'Asia/Almaty')
returns setof jsonb
language sql
stable
set search_path = ''
as $$
  select (to_jsonb(m) - 'id' - 'computed_at' - 'updated_at')
    || jsonb_build_object('period', p.period)
  from (values ('today', p_today, p_today), ('7d', p_today - 6, p_today),
               ('30d', p_today - 29, p_today)) as p(period, period_start, period_end)
  cross join lateral public.traffic_metrics_for_range(p.period_start, p.period_end, p_tz) as m
$$;
comment on function tests.agg_expected_rows(date, text) is
  'What traffic_aggregated_metrics should hold as of p_today: traffic_metrics_for_range of today, '
  '7d and 30d, as tests.agg_stored_rows() shapes the stored rows.';

-- How many keys of a per-day totals table (private.<p_totals>, migration 20261207113500) differ
-- from its rollup p_source summed per p_keys over the p_vals columns (0 = equal); a key whose sums
-- are all zero is no figure (a row written, then deleted) on either side.
create or replace function tests.day_totals_differ(p_totals text, p_source text, p_keys text,
  p_vals text)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  v_sums text := (select string_agg(format('sum(%I) as %I', v, v), ', ')
                  from unnest(string_to_array(p_vals, ',')) v);
  v_some text := (select string_agg(format('sum(%I) <> 0', v), ' or ')
                  from unnest(string_to_array(p_vals, ',')) v);
  v_n bigint;
begin
  execute format('with t as (select %1$s, %2$s from private.%3$I group by %1$s having %5$s), '
    's as (select %1$s, %2$s from %4$s group by %1$s having %5$s) '
    'select count(*) from ((table t except table s) union all (table s except table t)) as x',
    p_keys, v_sums, p_totals, p_source, v_some) into v_n;
  return v_n;
end
$$;
comment on function tests.day_totals_differ(text, text, text, text) is
  'Keys of private.<p_totals> whose sums differ from p_source summed per p_keys (0 = equal).';

grant execute on all functions in schema tests to anon, authenticated, service_role;
commit;
