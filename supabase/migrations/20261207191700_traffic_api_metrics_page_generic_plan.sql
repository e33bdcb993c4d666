-- GET /metrics plans its two statements once per connection (issue 11 item 2, misses).
--
-- public.traffic_api_metrics_page (newest: 20261207051600) ran under plan_cache_mode auto, and
-- the planner kept choosing a plan per call for its two statements over the view
-- traffic_api_metrics (two RLS branches, the shaping function inlined, 39 columns): for a
-- targetologist the rows are 3 index entries, and planning was most of the call. Now the function
-- runs with a generic plan, made once per connection, for every caller. Backend CPU per call
-- (psql, one transaction per call as PostgREST runs them, a year's volume, old / new alternating,
-- load 9-10): a targetologist 2.1 / 1.4 -> 0.6 / 0.3 ms; an admin's page of 50 teams 8.0 / 4.75
-- -> 4.25 / 4.25 ms; an admin's one team 3.5 / 2.5 -> 0.75 / 0.75 ms; an admin's 1,000 teams
-- 70 / 61 -> 67 / 66 ms. (A generic plan for targetologists only measured 0.3 / 0.4, 4.75 / 5.75,
-- 2.5 / 2.5 and 75 / 69 ms: no better for them, worse for admins.)
--
-- The answers are the same: traffic-api's /metrics bodies (sha-256 of 36 answers: a page of 50
-- teams, 7d at offset 500, today and 30d over 1,000 teams, one team by user_id, 30d of one's own,
-- and compare=previous, for two targetologists and an admin, twice each, old vs new: equal). The
-- function's `data` array may list its rows in another order than before (json_agg without an
-- order, as before: one admin's one-team answer did); traffic-api sorts them (routes/metrics.ts
-- sortRows: period, team, user_id, a total order), so the body is the same bytes.
-- The body is 20261207051600's; only the SET clause is new.

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
-- One plan per connection for every caller (see above).
set plan_cache_mode = force_generic_plan
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
