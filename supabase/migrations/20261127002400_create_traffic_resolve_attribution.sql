-- Attribution: which targetologist a lead or a sale belongs to, recomputed from scratch on every
-- aggregation run, so a campaign synced after its leads arrived re-attributes them next run.
--
-- Rules, in priority order (first match wins):
--   1. 'ad'       : utm_content, utm_term or utm_campaign equals an ad_id of
--                   traffic_facebook_ads_raw
--   2. 'adset'    : ... equals an adset_id
--   3. 'campaign' : ... equals a campaign_id
--      (within a level the UTM values are tried in the order utm_content, utm_term, utm_campaign;
--       an id found under several users goes to the lowest user_id, and is counted as ambiguous)
--   4. 'utm_source': the targetologist whose utm_sources contains utm_source, case-insensitively
--      (claimed by several: active before inactive, then lowest user_id; reported as ambiguous)
--   otherwise unattributed (user_id null).
create or replace function public.traffic_resolve_attribution()
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_leads int;
  v_sales int;
  v_ambiguous_ids int;
  v_ambiguous_sources text[];
begin
  with ad_rows as (
    -- One raw scan; distinct (user, ad, adset, campaign) is small next to ad-days.
    select distinct r.user_id, r.ad_id, r.adset_id, r.campaign_id
    from public.traffic_facebook_ads_raw r
  ),
  owners as (
    select v.level, v.rank, v.id, min(a.user_id::text)::uuid as user_id,
      min(a.user_id::text) <> max(a.user_id::text) as shared
    from ad_rows a
    cross join lateral (values ('ad', 1, a.ad_id), ('adset', 2, a.adset_id),
      ('campaign', 3, a.campaign_id)) as v(level, rank, id)
    where v.id is not null and v.id <> ''
    group by v.level, v.rank, v.id
  ),
  sources as (
    select distinct on (lower(src.value)) lower(src.value) as source, s.user_id
    from public.traffic_targetologist_settings s
    cross join lateral unnest(s.utm_sources) as src(value)
    where src.value is not null and src.value <> ''
    order by lower(src.value), s.is_active desc, s.user_id
  ),
  lead_best as (
    select distinct on (u.id) u.id, o.user_id, o.level
    from (select l.id, v.pos, v.val
          from public.traffic_leads l
          cross join lateral (values (1, l.utm_content), (2, l.utm_term), (3, l.utm_campaign))
            as v(pos, val)
          where v.val is not null and v.val <> '') as u
    join owners o on o.id = u.val
    order by u.id, o.rank, u.pos
  ),
  lead_resolved as (
    select l.id, coalesce(b.user_id, src.user_id) as user_id,
      case when b.user_id is not null then b.level
           when src.user_id is not null then 'utm_source' end as attributed_by
    from public.traffic_leads l
    left join lead_best b on b.id = l.id
    left join sources src on src.source = lower(l.utm_source)
  ),
  sale_best as (
    select distinct on (u.id) u.id, o.user_id, o.level
    from (select s.id, v.pos, v.val
          from public.traffic_sales s
          cross join lateral (values (1, s.utm_content), (2, s.utm_term), (3, s.utm_campaign))
            as v(pos, val)
          where v.val is not null and v.val <> '') as u
    join owners o on o.id = u.val
    order by u.id, o.rank, u.pos
  ),
  sale_resolved as (
    select s.id, coalesce(b.user_id, src.user_id) as user_id,
      case when b.user_id is not null then b.level
           when src.user_id is not null then 'utm_source' end as attributed_by
    from public.traffic_sales s
    left join sale_best b on b.id = s.id
    left join sources src on src.source = lower(s.utm_source)
  ),
  -- Only rows whose resolution changed are written, so a re-run writes nothing.
  lead_updates as (
    update public.traffic_leads l
    set user_id = r.user_id, attributed_by = r.attributed_by, attributed_at = now()
    from lead_resolved r
    where r.id = l.id
      and (l.user_id is distinct from r.user_id or l.attributed_by is distinct from r.attributed_by)
    returning 1
  ),
  sale_updates as (
    update public.traffic_sales s
    set user_id = r.user_id, attributed_by = r.attributed_by, attributed_at = now()
    from sale_resolved r
    where r.id = s.id
      and (s.user_id is distinct from r.user_id or s.attributed_by is distinct from r.attributed_by)
    returning 1
  )
  select (select count(*) from lead_updates), (select count(*) from sale_updates),
    (select count(*) from owners where shared)
  into v_leads, v_sales, v_ambiguous_ids;

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
