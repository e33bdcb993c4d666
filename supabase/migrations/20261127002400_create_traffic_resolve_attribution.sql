-- Attribution: which targetologist a lead or a sale belongs to, recomputed on every aggregation
-- run, so a campaign synced after its leads arrived re-attributes them next run. The id -> owner
-- map comes from the ad directory (private.traffic_ad_directory, about one row per ad) instead of
-- a scan of every ad-day row; each UTM column is joined to that map once; only rows whose
-- resolution changed are collected before the update. The rules, in priority order:
--   1. 'ad'       : utm_content, utm_term or utm_campaign equals an ad_id of
--                   traffic_facebook_ads_raw
--   2. 'adset'    : ... equals an adset_id
--   3. 'campaign' : ... equals a campaign_id
--      (within a level the UTM values are tried in the order utm_content, utm_term, utm_campaign;
--       an id found under several users goes to the lowest user_id, and is counted as ambiguous;
--       an id that is both, say, an adset and a campaign id counts at its better level)
--   4. 'utm_source': the targetologist whose utm_sources contains utm_source, case-insensitively
--      (claimed by several: active before inactive, then lowest user_id; reported as ambiguous)
--   otherwise unattributed (user_id null).
create or replace view private.traffic_attribution_owners as
-- "C" collation for sorting: byte order is all these ids need, and much cheaper.
select distinct on (o.id collate "C") o.id, o.rank, o.level, o.user_id, o.shared
from (
  select v.id, v.rank, v.level,
    min(d.user_id::text collate "C")::uuid as user_id,
    min(d.user_id::text collate "C") <> max(d.user_id::text collate "C") as shared
  from private.traffic_ad_directory d
  cross join lateral (values (d.ad_id, 1, 'ad'), (d.adset_id, 2, 'adset'),
    (d.campaign_id, 3, 'campaign')) as v(id, rank, level)
  where v.id <> ''
  group by v.id, v.rank, v.level
) as o
order by o.id collate "C", o.rank;
comment on view private.traffic_attribution_owners is
  'Facebook id -> owning targetologist at the id''s best level (ad 1, adset 2, campaign 3); '
  'an id under several users goes to the lowest user_id (shared = true).';
revoke all on private.traffic_attribution_owners from public, anon, authenticated, service_role;

create or replace view private.traffic_attribution_sources as
select distinct on (lower(src.value)) lower(src.value) as source, s.user_id
from public.traffic_targetologist_settings s
cross join lateral unnest(s.utm_sources) as src(value)
where src.value is not null and src.value <> ''
order by lower(src.value), s.is_active desc, s.user_id;
comment on view private.traffic_attribution_sources is
  'Lower-cased utm_source -> targetologist; claimed by several: active first, then lowest user_id.';
revoke all on private.traffic_attribution_sources from public, anon, authenticated, service_role;

create or replace function public.traffic_resolve_attribution()
returns jsonb
language plpgsql
security definer
set search_path = ''
-- Compiling these short queries costs more than it saves.
set jit = off
as $$
declare
  v_table text;
  v_count int;
  v_leads int;
  v_sales int;
  v_ambiguous_ids int;
  v_ambiguous_sources text[];
begin
  -- The owners, computed once for both updates.
  if to_regclass('pg_temp.traffic_attribution_run') is not null then
    drop table pg_temp.traffic_attribution_run;
  end if;
  create temporary table traffic_attribution_run on commit drop as
    select * from private.traffic_attribution_owners;
  analyze pg_temp.traffic_attribution_run;

  -- Best match of each lead and each sale (the same columns, the same rules): the lowest rank
  -- among its three UTM values (ad < adset < campaign), ties in the order utm_content, utm_term,
  -- utm_campaign; else its utm_source. Only rows whose resolution changed are collected (first,
  -- so the update touches just those), and written: a re-run writes nothing.
  foreach v_table in array array['traffic_leads', 'traffic_sales'] loop
    execute format($sql$
      with sources as materialized (select * from private.traffic_attribution_sources),
      changed as materialized (
        select r.id, r.user_id, r.attributed_by
        from (
        select x.id,
          coalesce(case k.best when oc.rank then oc.user_id when ot.rank then ot.user_id
                               when og.rank then og.user_id end, src.user_id) as user_id,
          coalesce(case k.best when oc.rank then oc.level when ot.rank then ot.level
                               when og.rank then og.level end,
                   case when src.user_id is not null then 'utm_source' end) as attributed_by,
          x.user_id as old_user_id, x.attributed_by as old_attributed_by
        from public.%1$I x
        left join pg_temp.traffic_attribution_run oc on oc.id = x.utm_content
        left join pg_temp.traffic_attribution_run ot on ot.id = x.utm_term
        left join pg_temp.traffic_attribution_run og on og.id = x.utm_campaign
        left join sources src on src.source = lower(x.utm_source)
        cross join lateral (select least(oc.rank, ot.rank, og.rank) as best) as k
        ) as r
        where r.old_user_id is distinct from r.user_id
           or r.old_attributed_by is distinct from r.attributed_by
      )
      update public.%1$I l
      set user_id = c.user_id, attributed_by = c.attributed_by, attributed_at = now()
      from changed c
      where l.id = c.id
    $sql$, v_table);
    get diagnostics v_count = row_count;
    if v_table = 'traffic_leads' then v_leads := v_count; else v_sales := v_count; end if;
  end loop;

  select count(*) into v_ambiguous_ids from pg_temp.traffic_attribution_run o where o.shared;
  drop table pg_temp.traffic_attribution_run;
  select coalesce(array_agg(x.source order by x.source), '{}') into v_ambiguous_sources
  from (select lower(src.value) as source
        from public.traffic_targetologist_settings s
        cross join lateral unnest(s.utm_sources) as src(value)
        where src.value is not null and src.value <> ''
        group by lower(src.value)
        having count(distinct s.user_id) > 1) as x;

  return jsonb_build_object(
    'leads_updated', v_leads,
    'sales_updated', v_sales,
    'ambiguous_ids', v_ambiguous_ids,
    'ambiguous_utm_sources', to_jsonb(v_ambiguous_sources));
end
$$;
comment on function public.traffic_resolve_attribution() is
  'Sets user_id / attributed_by / attributed_at of every lead and sale from their UTM values: '
  'ad > adset > campaign id match in traffic_facebook_ads_raw, then utm_source in a '
  'targetologist''s utm_sources (case-insensitive), else null. Idempotent; writes only changed '
  'rows. Returns {leads_updated, sales_updated, ambiguous_ids, ambiguous_utm_sources}.';
revoke all on function public.traffic_resolve_attribution() from public, anon, authenticated;
grant execute on function public.traffic_resolve_attribution() to service_role;
