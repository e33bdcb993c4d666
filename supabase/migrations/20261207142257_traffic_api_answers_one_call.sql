-- traffic-api's GET /daily and GET /campaigns answered in ONE PostgREST call, the rows already
-- serialised in SQL (issue 11 item 2, a cache miss).
--
-- Before: the first request of a token (and every request of the cache-off function) cost two
-- calls, `traffic_api_changed_since(null)` for the snapshot the kept body is checked against,
-- then the route's rows; and the function parsed PostgREST's JSON rows only to serialise them
-- again into its body.
--
-- Now `traffic_api_daily_answer` / `traffic_api_campaigns_answer` return
-- `{snapshot, data[, more]}`: `snapshot` is pg_current_snapshot() of the statement that reads the
-- rows (the rows reflect at least every transaction it shows committed, so a body checked against
-- it later is never kept past a write it did not see), and `data` is the text of the JSON array
-- elements, each row exactly as PostgREST serialises it (row_to_json, in the function's order, as
-- PostgREST's json_agg over the same call), joined by commas: the function puts them into its
-- body as they are (one JSON string to parse, no rows). The rows are those of the route's own
-- functions, called by name as the caller (security invoker: RLS decides); their limits apply
-- (366 days, 2000..2099: 22023), and the page of /campaigns is checked here too (1-500 rows,
-- offset >= 0: 22023), as the API checks it. plpgsql, `stable`: plans kept per connection, one
-- snapshot for the whole call. Integration test traffic-api-answers pins the bodies byte for byte
-- against the rows served the old way.

create or replace function public.traffic_api_daily_answer(
  p_from date,
  p_to date,
  p_tz text default 'Asia/Almaty',
  p_user_id uuid default null
)
returns json
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_data text;
begin
  select coalesce(string_agg(row_to_json(d)::text, ','), '')
  into v_data
  from public.traffic_api_daily(p_from, p_to, p_tz, p_user_id) as d;
  return json_build_object('snapshot', pg_current_snapshot()::text, 'data', v_data);
end
$$;
comment on function public.traffic_api_daily_answer(date, date, text, uuid) is
  'traffic-api GET /daily in one call: {snapshot: pg_current_snapshot() of the read, data: the '
  'rows of traffic_api_daily() as JSON array elements (row_to_json, its order, comma-joined)}.';
revoke all on function public.traffic_api_daily_answer(date, date, text, uuid) from public, anon;
grant execute on function public.traffic_api_daily_answer(date, date, text, uuid)
  to authenticated, service_role;

create or replace function public.traffic_api_campaigns_answer(
  p_from date,
  p_to date,
  p_tz text default 'Asia/Almaty',
  p_level text default 'campaign',
  p_user_id uuid default null,
  p_limit int default 100,
  p_offset int default 0
)
returns json
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_rows text[];
begin
  if p_limit is null or p_limit < 1 or p_limit > 500 or p_offset is null or p_offset < 0 then
    raise exception 'A page is 1 to 500 rows from an offset of 0 or more (limit %, offset %).',
      p_limit, p_offset
      using errcode = '22023';
  end if;
  -- One row more than asked says whether another page follows (as PostgREST's limit/offset over
  -- the same call did).
  select coalesce(array_agg(row_to_json(c)::text), '{}')
  into v_rows
  from (
    select *
    from public.traffic_api_campaigns(p_from, p_to, p_tz, p_level, p_user_id)
    limit p_limit + 1 offset p_offset
  ) as c;
  return json_build_object(
    'snapshot', pg_current_snapshot()::text,
    'data', array_to_string(v_rows[1:p_limit], ','),
    'more', cardinality(v_rows) > p_limit);
end
$$;
comment on function public.traffic_api_campaigns_answer(date, date, text, text, uuid, int, int) is
  'traffic-api GET /campaigns in one call: {snapshot: pg_current_snapshot() of the read, data: '
  'the page (p_limit rows after p_offset) of traffic_api_campaigns() as JSON array elements '
  '(row_to_json, its order, comma-joined), more: whether a row follows}. 1-500 rows (22023).';
revoke all on function public.traffic_api_campaigns_answer(date, date, text, text, uuid, int, int)
  from public, anon;
grant execute on function public.traffic_api_campaigns_answer(date, date, text, text, uuid, int, int)
  to authenticated, service_role;
