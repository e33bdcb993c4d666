-- traffic-api's pages of teams compute only their teams (review A3). Before (20261207023521),
-- traffic_api_metrics_page and traffic_api_metrics_range_page built every team's shaped rows
-- (3,003 stored rows for an admin's /metrics, traffic_metrics_for_range over 1,000 teams for
-- /metrics/range), then kept p_limit teams, and the page limits were checked only after that work
-- (SQL evaluates the array argument before the function body). Now each:
--   1. checks the page first (private.traffic_check_page, 22023);
--   2. picks the page's user_ids, ordered as before (team name, then user_id) and under the
--      caller's RLS: /metrics from the stored rows of the periods asked (the view
--      traffic_api_metrics: the teams that have rows), /metrics/range from the active
--      targetologists (private.traffic_visible_members: the members traffic_metrics_for_range
--      answers), with teams_total counted over the same set;
--   3. shapes only those teams' rows and the team total's: /metrics reads them by key (the unique
--      (user_id, period) index), /metrics/range through public.traffic_api_metrics_range_of, i.e.
--      private.traffic_metrics_rows with the page's users and p_period null (20261207051500: the
--      page's rows, and the team total of every team, identical to traffic_metrics_for_range's).
-- traffic_api_metrics_range_of is also what compare=previous calls with the page's users, so the
-- previous period is computed for the page's teams only (it read every team's and the API kept the
-- page's). Its answer is one json array (at most 1,001 rows: no max-rows paging). Security
-- invoker throughout: RLS decides, a targetologist's answer is their own team, and the total
-- (user_id null) is there only for admins and service callers.

create or replace function public.traffic_api_metrics_range_of(
  p_from date,
  p_to date,
  p_tz text,
  p_users uuid[],
  p_total boolean default true
)
returns json
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce(json_agg(s), '[]'::json)
  from private.traffic_metrics_rows(p_from, p_to, p_tz, coalesce(p_users, '{}'), null) as m
  cross join lateral private.traffic_api_metrics_shape(m) as s
  where m.user_id is not null or p_total
$$;
comment on function public.traffic_api_metrics_range_of(date, date, text, uuid[], boolean) is
  'traffic-api: the traffic_api_metrics_range rows (shaped as the API serves them) of the '
  'targetologists p_users over p_from..p_to in p_tz, and with p_total the team total of every '
  'team (admins and service callers only), as one json array; only those teams are computed '
  '(private.traffic_metrics_rows with p_period null). RLS decides.';
revoke all on function public.traffic_api_metrics_range_of(date, date, text, uuid[], boolean)
  from public, anon;
grant execute on function public.traffic_api_metrics_range_of(date, date, text, uuid[], boolean)
  to authenticated, service_role;

create or replace function public.traffic_api_metrics_page(
  p_periods text[] default array['today', '7d', '30d'],
  p_user_id uuid default null,
  p_limit integer default 50,
  p_offset integer default 0
)
returns json
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_users uuid[];
  v_total integer;
begin
  perform private.traffic_check_page(p_limit, p_offset);
  -- The teams with stored rows of the periods asked that the caller sees, by (team name, user_id).
  select coalesce(array_agg(t.user_id order by t.n)
           filter (where t.n > p_offset and t.n <= p_offset + p_limit), '{}'),
         count(*)
  into v_users, v_total
  from (
    select m.user_id, row_number() over (order by min(m.team_name), m.user_id) as n
    from public.traffic_api_metrics m
    where m.period = any (p_periods) and m.user_id is not null
      and (p_user_id is null or m.user_id = p_user_id)
    group by m.user_id
  ) as t;
  return json_build_object(
    'teams_total', v_total,
    'data', coalesce(
      (select json_agg(m) from public.traffic_api_metrics m
       where m.period = any (p_periods)
         and (m.user_id = any (v_users) or p_user_id is null and m.user_id is null)),
      '[]'::json));
end
$$;
comment on function public.traffic_api_metrics_page(text[], uuid, integer, integer) is
  'traffic-api GET /metrics: {teams_total, data} - the traffic_api_metrics rows of p_periods for '
  'p_limit teams after p_offset (team-name order) and the team total''s rows; checks the page '
  'first, then reads only those rows. RLS decides.';

create or replace function public.traffic_api_metrics_range_page(
  p_from date,
  p_to date,
  p_tz text default 'Asia/Almaty',
  p_user_id uuid default null,
  p_limit integer default 50,
  p_offset integer default 0
)
returns json
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_users uuid[];
  v_total integer;
begin
  perform private.traffic_check_page(p_limit, p_offset);
  perform private.traffic_check_range(p_from, p_to, true);
  -- The active targetologists the caller sees (private.traffic_visible_members: the members
  -- traffic_metrics_for_range answers), by (team name, user_id).
  select coalesce(array_agg(t.user_id order by t.n)
           filter (where t.n > p_offset and t.n <= p_offset + p_limit), '{}'),
         count(*)
  into v_users, v_total
  from (
    select s.user_id, row_number() over (order by s.team_name, s.user_id) as n
    from public.traffic_targetologist_settings s
    where s.user_id = any (private.traffic_visible_members(p_user_id))
  ) as t;
  return json_build_object(
    'teams_total', v_total,
    'data', public.traffic_api_metrics_range_of(p_from, p_to, p_tz, v_users, p_user_id is null));
end
$$;
comment on function public.traffic_api_metrics_range_page(date, date, text, uuid, integer, integer)
  is 'traffic-api GET /metrics/range: {teams_total, data} - traffic_api_metrics_range rows for '
  'p_limit teams after p_offset (team-name order) and the team total''s; checks the page first, '
  'then computes only those teams (traffic_api_metrics_range_of). RLS decides.';

-- Nothing calls it any more: the pages no longer build every team's rows to keep a few.
drop function private.traffic_api_metrics_paged(public.traffic_api_metrics[], integer, integer);
