-- ONE definition of the attribution rule, private.traffic_attribution_rule(), called by both the
-- webhook (private.amocrm_attribute_leads) and the aggregation (traffic_resolve_attribution), so
-- the two cannot disagree. It reads the maintained owner tables by primary key: its cost is a
-- handful of index probes whatever the number of ads. The aggregation now re-attributes only what
-- private.traffic_attribution_queue names: leads and sales written since the last run, and the
-- rows naming an id or utm_source whose owner changed.
--
-- The rule, in priority order:
--   1. 'ad'       : utm_content, utm_term or utm_campaign equals an ad_id of
--                   traffic_facebook_ads_raw
--   2. 'adset'    : ... equals an adset_id
--   3. 'campaign' : ... equals a campaign_id
--      (within a level the UTM values are tried in the order utm_content, utm_term, utm_campaign;
--       an id found under several users goes to the lowest user_id; an id that is both, say, an
--       adset and a campaign id counts at its better level)
--   4. 'utm_source': the owner of utm_source (case-insensitive) in private.traffic_utm_source_owners
--   otherwise unattributed (user_id null).

-- Plain SQL, stable, no SET clause: the planner inlines it into the caller's query.
create or replace function private.traffic_attribution_rule(
  p_utm_content text,
  p_utm_term text,
  p_utm_campaign text,
  p_utm_source text
)
returns table (user_id uuid, attributed_by text)
language sql
stable
as $$
  select coalesce(b.user_id, s.user_id),
    coalesce(b.level, case when s.user_id is not null then 'utm_source' end)
  from (select 1) as one
  left join lateral (
    select o.user_id, o.level
    from (values (p_utm_content, 1), (p_utm_term, 2), (p_utm_campaign, 3)) as u(id, pos)
    join private.traffic_attribution_id_owners o on o.id = u.id
    order by o.rank, u.pos
    limit 1
  ) as b on true
  left join private.traffic_utm_source_owners s on s.source = lower(p_utm_source)
$$;
comment on function private.traffic_attribution_rule(text, text, text, text) is
  'THE attribution rule: (user_id, attributed_by) of a lead or sale from its UTM values: '
  'ad > adset > campaign id among utm_content, utm_term, utm_campaign (in that order within a '
  'level), then the owner of utm_source (case-insensitive), else (null, null).';
revoke all on function private.traffic_attribution_rule(text, text, text, text)
  from public, anon, authenticated, service_role;

-- The old views, now plain reads of the maintained tables (same columns).
create or replace view private.traffic_attribution_owners as
select o.id, o.rank, o.level, o.user_id, o.shared from private.traffic_attribution_id_owners o;
comment on view private.traffic_attribution_owners is
  'Facebook id -> owning targetologist at the id''s best level (ad 1, adset 2, campaign 3); '
  'an id under several users goes to the lowest user_id (shared = true). Reads '
  'private.traffic_attribution_id_owners.';
revoke all on private.traffic_attribution_owners from public, anon, authenticated, service_role;

create or replace view private.traffic_attribution_sources as
select o.source, o.user_id from private.traffic_utm_source_owners o;
comment on view private.traffic_attribution_sources is
  'Lower-cased utm_source -> owning targetologist (active first, then earliest claim, then lowest '
  'user_id). Reads private.traffic_utm_source_owners.';
revoke all on private.traffic_attribution_sources from public, anon, authenticated, service_role;

-- Leads and sales written since the last run: queued by their writes (except the aggregation's
-- own, which already follow the rule: the WHEN clause skips them without calling the function).
create index if not exists traffic_leads_utm_source_lower_idx
  on public.traffic_leads (lower(utm_source));
create index if not exists traffic_sales_utm_source_lower_idx
  on public.traffic_sales (lower(utm_source));
create index if not exists traffic_sales_utm_content_idx on public.traffic_sales (utm_content);
create index if not exists traffic_sales_utm_term_idx on public.traffic_sales (utm_term);
create index if not exists traffic_sales_utm_campaign_idx on public.traffic_sales (utm_campaign);

create or replace function private.traffic_attribution_queue_rows()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if current_setting('traffic.attribution_writer', true) = 'on' then
    return null;
  end if;
  if tg_level = 'STATEMENT' then
    insert into private.traffic_attribution_queue (kind, key)
    select tg_argv[0], n.id::text from new_rows n;
  else
    insert into private.traffic_attribution_queue (kind, key) values (tg_argv[0], new.id::text);
  end if;
  return null;
end
$$;
comment on function private.traffic_attribution_queue_rows() is
  'Trigger of traffic_leads / traffic_sales: queues written rows (kind = trigger argument) for '
  'the next traffic_resolve_attribution().';
revoke all on function private.traffic_attribution_queue_rows()
  from public, anon, authenticated, service_role;

create trigger attribution_queue_insert after insert on public.traffic_leads
  referencing new table as new_rows
  for each statement execute function private.traffic_attribution_queue_rows('lead');
create trigger attribution_queue_update after update on public.traffic_leads
  for each row
  when ((old.utm_content, old.utm_term, old.utm_campaign, old.utm_source, old.user_id,
         old.attributed_by)
        is distinct from (new.utm_content, new.utm_term, new.utm_campaign, new.utm_source,
         new.user_id, new.attributed_by)
        and current_setting('traffic.attribution_writer', true) is distinct from 'on')
  execute function private.traffic_attribution_queue_rows('lead');
create trigger attribution_queue_insert after insert on public.traffic_sales
  referencing new table as new_rows
  for each statement execute function private.traffic_attribution_queue_rows('sale');
create trigger attribution_queue_update after update on public.traffic_sales
  for each row
  when ((old.utm_content, old.utm_term, old.utm_campaign, old.utm_source, old.user_id,
         old.attributed_by)
        is distinct from (new.utm_content, new.utm_term, new.utm_campaign, new.utm_source,
         new.user_id, new.attributed_by)
        and current_setting('traffic.attribution_writer', true) is distinct from 'on')
  execute function private.traffic_attribution_queue_rows('sale');

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
  v_kind text;
  v_count int;
  v_leads int;
  v_sales int;
  v_all boolean;
  v_ids text[];
  v_sources text[];
  v_lead_ids bigint[];
  v_sale_ids bigint[];
  v_ambiguous_ids int;
  v_ambiguous_sources text[];
begin
  -- One run at a time drains the queue (what a concurrent writer queues stays for the next run).
  perform pg_advisory_xact_lock(hashtext('public.traffic_resolve_attribution'));
  with drained as (
    delete from private.traffic_attribution_queue q returning q.kind, q.key
  )
  select coalesce(bool_or(d.kind = 'all'), false),
    coalesce(array_agg(distinct d.key) filter (where d.kind = 'id'), '{}'),
    coalesce(array_agg(distinct d.key) filter (where d.kind = 'source'), '{}'),
    coalesce(array_agg(distinct d.key::bigint) filter (where d.kind = 'lead'), '{}'),
    coalesce(array_agg(distinct d.key::bigint) filter (where d.kind = 'sale'), '{}')
  into v_all, v_ids, v_sources, v_lead_ids, v_sale_ids
  from drained d;

  -- A backlog (a bulk import, the first run) is cheaper as one pass over every row; the answer is
  -- the same, the candidates being a subset of every row.
  if cardinality(v_ids) + cardinality(v_sources) + cardinality(v_lead_ids)
      + cardinality(v_sale_ids) > 20000 then
    v_all := true;
  end if;

  -- This run's own writes follow the rule: they are not queued again.
  perform set_config('traffic.attribution_writer', 'on', true);
  -- The candidates of each table (every row after a repair; else the queued rows and the rows
  -- naming a queued id or source) get the rule's answer; only rows whose answer differs from what
  -- they hold are written, so a re-run writes nothing.
  foreach v_table in array array['traffic_leads', 'traffic_sales'] loop
    execute format($sql$
      with candidates as (%2$s),
      changed as materialized (
        select x.id, r.user_id, r.attributed_by
        from candidates c
        join public.%1$I x on x.id = c.id
        cross join lateral private.traffic_attribution_rule(x.utm_content, x.utm_term,
          x.utm_campaign, x.utm_source) as r
        where (x.user_id, x.attributed_by) is distinct from (r.user_id, r.attributed_by)
      )
      update public.%1$I l
      set user_id = c.user_id, attributed_by = c.attributed_by, attributed_at = now()
      from changed c
      where l.id = c.id
    $sql$, v_table, case when v_all then format('select x.id from public.%I x', v_table) else
      format($c$
        select x.id from public.%1$I x where x.id = any ($4)
        union
        select x.id from public.%1$I x where x.utm_content = any ($2)
        union
        select x.id from public.%1$I x where x.utm_term = any ($2)
        union
        select x.id from public.%1$I x where x.utm_campaign = any ($2)
        union
        select x.id from public.%1$I x where lower(x.utm_source) = any ($3)
      $c$, v_table) end)
    using v_all, v_ids, v_sources,
      case v_table when 'traffic_leads' then v_lead_ids else v_sale_ids end;
    get diagnostics v_count = row_count;
    if v_table = 'traffic_leads' then v_leads := v_count; else v_sales := v_count; end if;
  end loop;
  perform set_config('traffic.attribution_writer', 'off', true);

  select count(*) into v_ambiguous_ids from private.traffic_attribution_id_owners o where o.shared;
  select coalesce(array_agg(o.source order by o.source), '{}') into v_ambiguous_sources
  from private.traffic_utm_source_owners o where o.claimants > 1;

  return jsonb_build_object(
    'leads_updated', v_leads,
    'sales_updated', v_sales,
    'ambiguous_ids', v_ambiguous_ids,
    'ambiguous_utm_sources', to_jsonb(v_ambiguous_sources));
end
$$;
comment on function public.traffic_resolve_attribution() is
  'Sets user_id / attributed_by / attributed_at of the leads and sales queued since the last run '
  '(written, or naming an id / utm_source whose owner changed) by private.traffic_attribution_rule '
  '(ad > adset > campaign id match in traffic_facebook_ads_raw, then utm_source owner, else '
  'null). Idempotent; writes only changed rows. Returns {leads_updated, sales_updated, '
  'ambiguous_ids, ambiguous_utm_sources}.';
revoke all on function public.traffic_resolve_attribution() from public, anon, authenticated;
grant execute on function public.traffic_resolve_attribution() to service_role;

-- The webhook's attribution of freshly written leads: the same rule, for just these leads. It
-- leaves unmatched leads as they are (the aggregation's next run, which sees them queued, settles
-- them by the same rule).
create or replace function private.amocrm_attribute_leads(p_lead_ids bigint[])
returns int
language plpgsql
set search_path = ''
as $$
declare
  v_count int;
begin
  with match as (
    select l.id, r.user_id, r.attributed_by
    from public.traffic_leads l
    cross join lateral private.traffic_attribution_rule(l.utm_content, l.utm_term,
      l.utm_campaign, l.utm_source) as r
    where l.amocrm_lead_id = any (p_lead_ids)
  )
  update public.traffic_leads l
  set user_id = match.user_id, attributed_by = match.attributed_by, attributed_at = now()
  from match
  where l.id = match.id
    and match.user_id is not null
    and (l.user_id, l.attributed_by) is distinct from (match.user_id, match.attributed_by);
  get diagnostics v_count = row_count;
  return v_count;
end
$$;
comment on function private.amocrm_attribute_leads(bigint[]) is
  'Attributes the given AmoCRM leads by private.traffic_attribution_rule (the rule '
  'traffic_resolve_attribution() applies); returns how many rows changed. Leaves unmatched leads '
  'untouched.';
revoke all on function private.amocrm_attribute_leads(bigint[])
  from public, anon, authenticated, service_role;
