-- fb-ads-sync's page write without PostgREST's argument unpacking (issue 11 item 4).
--
-- fb-ads-sync calls POST /rpc/fb_upsert_insights?columns=p_user_id,p_rows,p_fetched_at with a
-- ~235 KB body. For a function with named parameters PostgREST 12 builds
--   WITH pgrst_payload AS (SELECT $1::json AS json_data),
--        pgrst_body AS (SELECT CASE WHEN json_typeof(json_data) = 'array' ... END AS val ...),
--        pgrst_args AS (SELECT * FROM json_to_recordset((SELECT val FROM pgrst_body))
--                         AS _("p_user_id" uuid, "p_rows" jsonb, "p_fetched_at" timestamptz))
--   SELECT fb_upsert_insights(p_user_id := pgrst_args.p_user_id, ...) FROM pgrst_args
-- so Postgres reads each page's text three times: the json input check of the whole body, the
-- json_to_recordset walk of it, and the jsonb parse of p_rows' text (PostgREST's statement around
-- the rpc was 15-18 % of a first sync's Postgres time; docs/benchmarks.md, fbsync ninth session).
-- For a function whose only parameter is one unnamed json/jsonb, PostgREST 12 passes the request
-- body as that argument and nothing else: `SELECT fn($1::jsonb)` (PostgREST's
-- Query/QueryBuilder.hs callPlanToQuery, OnePosParam; "Functions with a single unnamed
-- parameter" in its docs), one jsonb parse of the page.
--
-- fb_upsert_insights_page(jsonb) is that function: the same body fb-ads-sync sent, an object
-- {"p_user_id": uuid, "p_rows": [...], "p_fetched_at": timestamptz (optional: now())}, handed
-- to fb_upsert_insights(uuid, jsonb, timestamptz), which stays the one definition of the write
-- (its rules, checks and errors; its name, signature and grants unchanged for every other caller).
-- A body that is not such an object fails as fb_upsert_insights does on missing arguments (22023)
-- or on a malformed uuid / timestamp (22P02, 22007/22008): PostgREST answers 400, never 500.
create function public.fb_upsert_insights_page(jsonb)
returns int
language sql
security definer
set search_path = ''
as $$
  select public.fb_upsert_insights(
    ($1 ->> 'p_user_id')::uuid,
    $1 -> 'p_rows',
    coalesce(($1 ->> 'p_fetched_at')::timestamptz, now()))
$$;
comment on function public.fb_upsert_insights_page(jsonb) is
  'fb_upsert_insights(p_user_id, p_rows, p_fetched_at) with its arguments as one JSON object '
  '{p_user_id, p_rows, p_fetched_at?} (absent p_fetched_at: now()): PostgREST passes a POST body '
  'to a function with a single unnamed jsonb parameter as it is, parsed once. Same rows, same '
  'result, same errors as fb_upsert_insights. service_role only.';
revoke all on function public.fb_upsert_insights_page(jsonb) from public, anon, authenticated;
grant execute on function public.fb_upsert_insights_page(jsonb) to service_role;
