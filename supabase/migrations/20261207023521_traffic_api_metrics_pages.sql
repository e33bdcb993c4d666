-- traffic-api GET /metrics and /metrics/range answer a page of teams (issue 11): an admin over
-- 1,000 teams got every team's rows in one body (2.9 MB for /metrics, 1.0 MB for /metrics/range),
-- which the dashboard cannot show at once and which cost ~10x a bare read to serve. Now the
-- routes ask these functions for one page: `p_limit` teams (1..1000; the API's default is 50)
-- after `p_offset`, in team-name order, each with all its rows of the periods asked, plus the
-- team-wide total's rows (always, unless p_user_id narrows the answer to one team) and
-- teams_total, the number of teams across all pages. The limits are checked here as well as in
-- the API (private.traffic_check_page, SQLSTATE 22023). Security invoker: the view and
-- traffic_api_metrics_range decide with RLS what the caller may see; one json value per call (the
-- page is small; no max-rows paging).

create or replace function private.traffic_check_page(p_limit integer, p_offset integer)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if p_limit is null or p_limit < 1 or p_limit > 1000 then
    raise exception 'invalid page: limit must be 1 to 1000 teams (got %)',
      coalesce(p_limit::text, 'null')
      using errcode = '22023';
  end if;
  if p_offset is null or p_offset < 0 or p_offset > 100000 then
    raise exception 'invalid page: offset must be 0 to 100000 (got %)',
      coalesce(p_offset::text, 'null')
      using errcode = '22023';
  end if;
end
$$;
comment on function private.traffic_check_page(integer, integer) is
  'THE page rule of traffic-api''s team lists: raises SQLSTATE 22023 unless 1 <= p_limit <= 1000 '
  'and 0 <= p_offset <= 100000.';
revoke all on function private.traffic_check_page(integer, integer) from public, anon;
grant execute on function private.traffic_check_page(integer, integer)
  to authenticated, service_role;

-- THE page rule over metrics rows, written once for both routes.
create or replace function private.traffic_api_metrics_paged(
  p_rows public.traffic_api_metrics[],
  p_limit integer,
  p_offset integer
)
returns json
language plpgsql
stable
set search_path = ''
as $$
begin
  perform private.traffic_check_page(p_limit, p_offset);
  return (
    with rows as materialized (
      select * from unnest(p_rows) as r
    ),
    teams as (
      select r.user_id, min(r.team_name) as team_name
      from rows r where r.user_id is not null group by r.user_id
    ),
    page as (
      select t.user_id from teams t order by t.team_name, t.user_id
      limit p_limit offset p_offset
    )
    select json_build_object(
      'teams_total', (select count(*) from teams),
      'data', coalesce(
        (select json_agg(r) from rows r
         where r.user_id is null or r.user_id in (select p.user_id from page p)),
        '[]'::json))
  );
end
$$;
comment on function private.traffic_api_metrics_paged(public.traffic_api_metrics[], integer,
  integer) is
  'One page of metrics rows: {teams_total: the teams (non-null user_id) in p_rows, data: the rows '
  'of p_limit teams after p_offset in team-name, user_id order, and every team-total row '
  '(user_id null)}. Checks the page with private.traffic_check_page.';
revoke all on function private.traffic_api_metrics_paged(public.traffic_api_metrics[], integer,
  integer) from public, anon;
grant execute on function private.traffic_api_metrics_paged(public.traffic_api_metrics[], integer,
  integer) to authenticated, service_role;

create or replace function public.traffic_api_metrics_page(
  p_periods text[] default array['today', '7d', '30d'],
  p_user_id uuid default null,
  p_limit integer default 50,
  p_offset integer default 0
)
returns json
language sql
stable
security invoker
set search_path = ''
as $$
  select private.traffic_api_metrics_paged(
    array(
      select m from public.traffic_api_metrics m
      where m.period = any(p_periods) and (p_user_id is null or m.user_id = p_user_id)),
    p_limit, p_offset)
$$;
comment on function public.traffic_api_metrics_page(text[], uuid, integer, integer) is
  'traffic-api GET /metrics: {teams_total, data} - the traffic_api_metrics rows of p_periods for '
  'p_limit teams after p_offset (team-name order) and the team total''s rows; RLS decides.';
revoke all on function public.traffic_api_metrics_page(text[], uuid, integer, integer)
  from public, anon;
grant execute on function public.traffic_api_metrics_page(text[], uuid, integer, integer)
  to authenticated, service_role;

create or replace function public.traffic_api_metrics_range_page(
  p_from date,
  p_to date,
  p_tz text default 'Asia/Almaty',
  p_user_id uuid default null,
  p_limit integer default 50,
  p_offset integer default 0
)
returns json
language sql
stable
security invoker
set search_path = ''
as $$
  select private.traffic_api_metrics_paged(
    array(
      select m from public.traffic_api_metrics_range(p_from, p_to, p_tz) m
      where p_user_id is null or m.user_id = p_user_id),
    p_limit, p_offset)
$$;
comment on function public.traffic_api_metrics_range_page(date, date, text, uuid, integer, integer)
  is 'traffic-api GET /metrics/range: {teams_total, data} - traffic_api_metrics_range rows for '
  'p_limit teams after p_offset (team-name order) and the team total''s; RLS decides.';
revoke all on function public.traffic_api_metrics_range_page(date, date, text, uuid, integer,
  integer) from public, anon;
grant execute on function public.traffic_api_metrics_range_page(date, date, text, uuid, integer,
  integer) to authenticated, service_role;
