-- A page's probe of its own ad-days (fb_upsert_insights' `todo`, the Meta-lead refresh's
-- `picked` and `gone`: user_id, ad_id and stat_date equal to the incoming row's) is an exact
-- index lookup on all three columns also on a table that was never analyzed, the state of a new
-- project's first sync (migration 20261207171500). Before it, the planner took
-- `(user_id, stat_date)` with `ad_id` as a filter, reading every ad row of the user-day per probe
-- once the table filled. Checked on copies of the two tables with the same indexes (a temporary
-- table is never analyzed), empty and holding one user's 40 days x 500 ads (20,000 rows), as a
-- generic plan (what PL/pgSQL caches): this checks the index set against the probe's shape. The
-- first three tests pin that shape in the functions themselves, so a rewrite of the probes
-- fails here and gets its own check.
begin;
select plan(7);

select ok((select prosrc from pg_proc
           where oid = 'public.fb_upsert_insights(uuid, jsonb, timestamptz)'::regprocedure)
    ~ 't\.user_id = i\.user_id\s+and t\.ad_id = i\.ad_id\s+and t\.stat_date = i\.stat_date',
  'fb_upsert_insights probes the stored row by user_id, ad_id and stat_date (the shape checked below)');
select ok((select prosrc from pg_proc
           where oid = 'private.traffic_meta_leads_refresh(uuid[], text[], date[])'::regprocedure)
    ~ 'r\.user_id = k\.user_id\s+and r\.ad_id = k\.ad_id\s+and r\.stat_date = k\.stat_date',
  'the Meta-lead refresh reads the raw rows by user_id, ad_id and stat_date');
select ok((select prosrc from pg_proc
           where oid = 'private.traffic_meta_leads_refresh(uuid[], text[], date[])'::regprocedure)
    ~ 't\.user_id = k\.user_id\s+and t\.ad_id = k\.ad_id\s+and t\.stat_date = k\.stat_date',
  'the Meta-lead refresh finds the rows it deletes by user_id, ad_id and stat_date');

create temporary table raw_copy (like public.traffic_facebook_ads_raw including all);
create temporary table by_ad_copy (like public.traffic_meta_leads_by_ad including all);

create function pg_temp.probe_plan(p_table regclass) returns text
language plpgsql as $$
declare
  v text := '';
  r record;
begin
  set local plan_cache_mode = force_generic_plan;
  execute format('prepare probe(uuid[], text[], date[]) as
    select t.* from unnest($1, $2, $3) as i(user_id, ad_id, stat_date)
    left join lateral (select 1 from %s t
      where t.user_id = i.user_id and t.ad_id = i.ad_id and t.stat_date = i.stat_date
      limit 1) t on true', p_table);
  for r in execute 'explain (costs off) execute probe(''{}'', ''{}'', ''{}'')' loop
    v := v || r."QUERY PLAN" || E'\n';
  end loop;
  deallocate probe;
  return v;
end
$$;

-- Exact: one Index Cond with the three columns, no filter left.
create function pg_temp.exact(p_plan text) returns boolean
language sql as $$
  select p_plan !~ 'Filter'
    and p_plan ~ 'Index Cond: [^\n]*user_id = i\.user_id'
    and p_plan ~ 'Index Cond: [^\n]*ad_id = i\.ad_id'
    and p_plan ~ 'Index Cond: [^\n]*stat_date = i\.stat_date'
$$;

select ok(pg_temp.exact(pg_temp.probe_plan('raw_copy')),
  'empty raw rows, never analyzed: the probe matches user_id, ad_id and stat_date in one index');
select ok(pg_temp.exact(pg_temp.probe_plan('by_ad_copy')),
  'empty Meta-lead rows, never analyzed: the probe matches the three columns in one index');

insert into raw_copy (user_id, account_id, campaign_id, adset_id, ad_id, stat_date)
select '00000000-0000-4000-8000-000000000265', '1', 'c' || a % 5, 's' || a % 25, 'ad' || a,
  date '2026-11-01' + d
from generate_series(1, 500) a cross join generate_series(0, 39) d;
insert into by_ad_copy (user_id, ad_id, stat_date, account_id, action_type, meta_leads)
select user_id, ad_id, stat_date, account_id, 'lead', 1 from raw_copy;

select ok(pg_temp.exact(pg_temp.probe_plan('raw_copy')),
  '20,000 raw rows of one user, never analyzed: still an exact probe');
select ok(pg_temp.exact(pg_temp.probe_plan('by_ad_copy')),
  '20,000 Meta-lead rows of one user, never analyzed: still an exact probe');

select * from finish();
rollback;
