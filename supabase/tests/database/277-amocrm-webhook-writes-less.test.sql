-- What a webhook writes, made cheaper (20261208011400): a stored body and its payload are
-- compressed with lz4, not pglz (same text back); traffic_leads without the two indexes nothing
-- read (every new lead paid an insert into each: utm_medium is never a filter; utm_source as
-- written is never compared, attribution and re-attribution compare lower(utm_source), which
-- keeps its index). On the old code the compression tests and the index list fail.
begin;
select plan(6);

-- A new deal's body as the bench posts it (2.4 kB of form text) and a payload of 1.2 kB.
create temp table body on commit drop as
  select string_agg('leads%5Badd%5D%5B0%5D%5Bcustom_fields%5D%5B' || g
    || '%5D%5Bvalues%5D%5B0%5D%5Bvalue%5D=%D0%A7%D0%B5%D0%BB%D0%BB%D0%B5%D0%BD%D0%B4%D0%B6+' || g,
    '&') as raw,
    (select jsonb_build_object('account', '{}'::jsonb, 'ignored', '[]'::jsonb, 'events',
      jsonb_agg(jsonb_build_object('leadId', '990277' || g, 'name', 'Заявка с сайта ' || g)))
     from generate_series(1, 20) g) as payload
  from generate_series(1, 20) g;
select ok((select octet_length(raw) > 2000 and octet_length(payload::text) > 1000 from body),
  'a body and payload over the toast threshold');
create temp table ingested on commit drop as select i.event_id from body,
  public.amocrm_ingest_event(body.raw, 'application/x-www-form-urlencoded', null, body.payload,
    null, null, 20) as i;
select is(
  (select pg_column_compression(e.raw_body) || ' ' || coalesce(pg_column_compression(e.payload),
    'inline') from public.traffic_amocrm_events e, body where e.raw_body = body.raw),
  'lz4 ' || (select case when pg_column_compression(e.payload) is null then 'inline' else 'lz4' end
    from public.traffic_amocrm_events e, body where e.raw_body = body.raw),
  'the body is compressed with lz4, and the payload too when compressed');
select ok(
  (select e.raw_body = body.raw and e.payload = body.payload
    and pg_column_compression(e.payload) is distinct from 'pglz'
   from public.traffic_amocrm_events e, body where e.raw_body = body.raw),
  'and both read back as stored (no pglz on either)');

select is(
  (select array_agg(indexname::text order by indexname) from pg_indexes
    where schemaname = 'public' and tablename = 'traffic_leads'),
  array[
    'traffic_leads_amocrm_lead_id_key',
    'traffic_leads_created_idx',
    'traffic_leads_pkey',
    'traffic_leads_user_created_idx',
    'traffic_leads_utm_campaign_idx',
    'traffic_leads_utm_content_idx',
    'traffic_leads_utm_source_lower_idx',
    'traffic_leads_utm_term_idx'
  ]::text[],
  'traffic_leads keeps every index but the unread utm_medium and plain utm_source ones');


-- The reader of utm_source, re-attribution by source, finds a source's leads by its index,
-- whatever the case written.
insert into public.traffic_leads (amocrm_lead_id, utm_source, created_at)
select 990277000 + g, case when g % 2 = 0 then 'PgTap277Src' else 'pgtap277src' end, now()
from generate_series(1, 4) g;
select is(
  (select count(*)::int from public.traffic_leads where lower(utm_source) = 'pgtap277src'), 4,
  'lower(utm_source) finds every spelling');

create function pg_temp.plan_of(p_query text) returns text language plpgsql as $$
declare
  v_line text;
  v_plan text := '';
begin
  for v_line in execute 'explain (costs off) ' || p_query loop
    v_plan := v_plan || v_line || ' ';
  end loop;
  return v_plan;
end
$$;
set local enable_seqscan = off;
select matches(
  pg_temp.plan_of($$select id from public.traffic_leads where lower(utm_source) = any
    (array['pgtap277src'])$$),
  'traffic_leads_utm_source_lower_idx',
  'the lookup by lower(utm_source) is served by its index');

select * from finish();
rollback;
