-- Review R2 of traffic_api_metrics_range_of (20261207051600):
-- 1. Without the total (p_total false: GET /metrics/range?user_id=X for an admin, and its
--    compare=previous) it still computed every team for an admin: it always passed p_period null,
--    which (20261207051500) means "the page's rows and the total of every team". Now it passes
--    p_period 'custom' then: a period no stored row has (the column allows today / 7d / 30d), so
--    private.traffic_metrics_rows computes only p_users (v_every false, the incremental mode) and
--    keeps no stored row; the partial total it still appends for an admin is dropped by the
--    existing `where`. With p_total, unchanged.
-- 2. The API never sends more than one page of user_ids (at most 1,000), but SQL did not check it:
--    a direct RPC call with 100,000 ids made every `= any (p_users)` filter that long. Now more than
--    1,000 ids is refused before any work (private.traffic_check_page, SQLSTATE 22023), like the
--    page functions' limits.

create or replace function public.traffic_api_metrics_range_of(
  p_from date,
  p_to date,
  p_tz text,
  p_users uuid[],
  p_total boolean default true
)
returns json
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  perform private.traffic_check_page(greatest(coalesce(cardinality(p_users), 0), 1), 0);
  return (
    select coalesce(json_agg(s), '[]'::json)
    from private.traffic_metrics_rows(p_from, p_to, p_tz, coalesce(p_users, '{}'),
      case when p_total then null else 'custom' end) as m
    cross join lateral private.traffic_api_metrics_shape(m) as s
    where m.user_id is not null or p_total);
end
$$;
comment on function public.traffic_api_metrics_range_of(date, date, text, uuid[], boolean) is
  'traffic-api: the traffic_api_metrics_range rows (shaped as the API serves them) of the '
  'targetologists p_users (at most 1,000: 22023 otherwise) over p_from..p_to in p_tz, and with '
  'p_total the team total of every team (admins and service callers only), as one json array. '
  'Only p_users'' rows are built; the total, when asked, sums every team''s figures. RLS decides.';
