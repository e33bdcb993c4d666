-- GET /campaigns reads the attributed conversions per entity and day (issue 11 item 2).
--
-- Before: public.traffic_campaign_metrics (20261207023509) attributed every lead and sale of the
-- range to its campaign / adset / ad on each request (private.traffic_attribution_entity: up to
-- nine index probes per conversion). An admin's /campaigns?period=7d at a year's volume attributed
-- ~6,000 conversions per miss; the cost grew with the data.
--
-- Now the entity each conversion belongs to is kept, and summed per entity and day:
--   private.traffic_conversion_entities     one row per counted conversion (a lead not deleted,
--       an active sale; attributed to a user; matched to an entity of that user's ads): its
--       entity (campaign_id, adset_id, ad_id) as the attribution rule gave it when the row was
--       last written, its local day (Asia/Almaty, as traffic_leads_daily) and its amount.
--   public.traffic_entity_conversions_daily the group-by of the above per (user_id, day,
--       campaign_id, adset_id, ad_id): leads, sales, revenue. Read by /campaigns.
-- Both are written by ONE function, private.traffic_conversion_entities_refresh(kind, ids): it
-- recomputes the given conversions' rows from their current source row (the entity by
-- private.traffic_attribution_entity, the one definition of the entity step), writes the rows
-- that changed, and applies exactly their difference (new rows added, stored rows subtracted) to
-- the daily table. Because the stored entity is subtracted (not a recomputed one), the daily
-- table stays the group-by of the stored rows whatever changed in between. It is called by:
--   - statement triggers of traffic_leads / traffic_sales (insert, delete, and updates that
--     change what counts: user, UTM values, time, deletion / status, amount): every webhook,
--     amocrm rebuild, re-attribution (traffic_resolve_attribution updates user_id), deletion;
--   - statement triggers of private.traffic_ad_directory (the distinct (user, ad, adset,
--     campaign) of the raw ad rows, kept by triggers on traffic_facebook_ads_raw): when a user's
--     ads gain or lose an id, that user's conversions naming the id in a UTM value are refreshed;
--   - private.traffic_rebuild_entity_conversions() (everything), at the end of
--     public.traffic_rebuild_rollups (the repair path) and after a TRUNCATE of a source.
-- The daily table is written under ordinary row locks of its (user, day, entity) keys: keys are
-- ad-days, not team-days, so concurrent webhooks rarely meet on one.
--
-- Known limit (as the owner attribution's queue, which the aggregation drains): a lead written in
-- a transaction that started its trigger before a concurrent sync COMMITTED the lead's first ad
-- row is matched without that ad, and the sync's refresh did not see the uncommitted lead; the
-- stored entity then stays the older one until the lead, its ad ids or a rebuild is written again.

create table private.traffic_conversion_entities (
  kind text not null check (kind in ('lead', 'sale')),
  conv_id bigint not null,
  user_id uuid not null,
  day date not null,
  campaign_id text not null,
  adset_id text,
  ad_id text,
  amount numeric not null,
  primary key (kind, conv_id)
);
alter table private.traffic_conversion_entities enable row level security;
comment on table private.traffic_conversion_entities is
  'The entity (campaign, adset, ad of its user''s ads) of each counted conversion (lead not '
  'deleted, active sale, attributed and matched), its Asia/Almaty day and amount, as last '
  'computed by private.traffic_conversion_entities_refresh. No client access.';
revoke all on table private.traffic_conversion_entities
  from public, anon, authenticated, service_role;

create table public.traffic_entity_conversions_daily (
  user_id uuid not null,
  day date not null,
  campaign_id text not null,
  adset_id text,
  ad_id text,
  leads int not null default 0,
  sales int not null default 0,
  revenue numeric not null default 0,
  constraint traffic_entity_conversions_daily_key
    unique nulls not distinct (user_id, day, campaign_id, adset_id, ad_id)
);
alter table public.traffic_entity_conversions_daily enable row level security;
comment on table public.traffic_entity_conversions_daily is
  'Attributed leads, active sales and their revenue per (user_id, local day in Asia/Almaty, '
  'campaign_id, adset_id, ad_id): the group-by of private.traffic_conversion_entities, kept by '
  'private.traffic_conversion_entities_refresh. Read by traffic_campaign_metrics (GET /campaigns).';
-- Emptied keys are found through this (normally empty) partial index.
create index traffic_entity_conversions_daily_empty_idx
  on public.traffic_entity_conversions_daily (day) where leads = 0 and sales = 0;
revoke all on table public.traffic_entity_conversions_daily from anon, authenticated;
grant select on table public.traffic_entity_conversions_daily to authenticated, service_role;
create policy "entity conversions daily: read own, admin reads all"
  on public.traffic_entity_conversions_daily for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));
comment on policy "entity conversions daily: read own, admin reads all"
  on public.traffic_entity_conversions_daily is
  'A targetologist reads their own attributed conversions per entity; an admin reads all.';

-- THE rows private.traffic_conversion_entities should hold for the given conversions, written
-- where they differ, the difference applied to the daily table. Returns the rows written.
create or replace function private.traffic_conversion_entities_refresh(
  p_kind text, p_ids bigint[])
returns int
language plpgsql
security definer
set search_path = ''
-- Planned once per session: the statement inlines the entity step twice (27 index lookups), and
-- planning it per call cost more than running it for one lead (webhook hot path). Its generic
-- plan is the same index probes (ids through primary keys, p_kind a one-time filter).
set plan_cache_mode = force_generic_plan
as $$
declare
  v_written int;
begin
  if coalesce(cardinality(p_ids), 0) = 0 then
    return 0;
  end if;
  with want as materialized (
    select 'lead'::text as kind, l.id as conv_id, l.user_id,
      (l.created_at at time zone 'Asia/Almaty')::date as day,
      m.campaign_id, m.adset_id, m.ad_id, 0::numeric as amount
    from public.traffic_leads l
    cross join lateral private.traffic_attribution_entity(l.user_id, l.utm_content, l.utm_term,
      l.utm_campaign) as m
    where p_kind = 'lead' and l.id = any (p_ids) and not l.is_deleted
      and l.user_id is not null and m.campaign_id is not null
    union all
    select 'sale', s.id, s.user_id, (s.sold_at at time zone 'Asia/Almaty')::date,
      m.campaign_id, m.adset_id, m.ad_id, s.sale_amount
    from public.traffic_sales s
    cross join lateral private.traffic_attribution_entity(s.user_id, s.utm_content, s.utm_term,
      s.utm_campaign) as m
    where p_kind = 'sale' and s.id = any (p_ids) and s.status = 'active'
      and s.user_id is not null and m.campaign_id is not null
  ),
  cur as materialized (
    select c.* from private.traffic_conversion_entities c
    where c.kind = p_kind and c.conv_id = any (p_ids)
  ),
  -- Stored rows that are no longer wanted as they are (-1), wanted rows not stored as they are (+1).
  removed as (select * from cur except all select * from want),
  added as (select * from want except all select * from cur),
  gone as (
    delete from private.traffic_conversion_entities t
    using removed r
    where t.kind = r.kind and t.conv_id = r.conv_id
      and not exists (select 1 from want w where w.conv_id = r.conv_id)
    returning 1
  ),
  put as (
    insert into private.traffic_conversion_entities as t (kind, conv_id, user_id, day,
      campaign_id, adset_id, ad_id, amount)
    select a.kind, a.conv_id, a.user_id, a.day, a.campaign_id, a.adset_id, a.ad_id, a.amount
    from added a
    order by a.conv_id
    on conflict (kind, conv_id) do update set user_id = excluded.user_id, day = excluded.day,
      campaign_id = excluded.campaign_id, adset_id = excluded.adset_id, ad_id = excluded.ad_id,
      amount = excluded.amount
    returning 1
  ),
  delta as (
    select d.user_id, d.day, d.campaign_id, d.adset_id, d.ad_id,
      sum(d.s) filter (where d.kind = 'lead') as leads,
      sum(d.s) filter (where d.kind = 'sale') as sales,
      sum(d.s * d.amount) as revenue
    from (select r.*, -1 as s from removed r union all select a.*, 1 from added a) as d
    group by d.user_id, d.day, d.campaign_id, d.adset_id, d.ad_id
  ),
  applied as (
    insert into public.traffic_entity_conversions_daily as t (user_id, day, campaign_id,
      adset_id, ad_id, leads, sales, revenue)
    select d.user_id, d.day, d.campaign_id, d.adset_id, d.ad_id, coalesce(d.leads, 0),
      coalesce(d.sales, 0), d.revenue
    from delta d
    where coalesce(d.leads, 0) <> 0 or coalesce(d.sales, 0) <> 0 or d.revenue <> 0
    order by 1, 2, 3, 4, 5
    on conflict on constraint traffic_entity_conversions_daily_key do update set
      leads = t.leads + excluded.leads, sales = t.sales + excluded.sales,
      revenue = t.revenue + excluded.revenue
    returning 1
  )
  -- (applied runs as every data-modifying CTE does, referenced or not)
  select (select count(*) from gone) + (select count(*) from put) into v_written;
  if v_written > 0 then
    -- A key whose conversions all left holds no conversion (its revenue is then 0 too).
    delete from public.traffic_entity_conversions_daily t where t.leads = 0 and t.sales = 0;
  end if;
  return v_written;
end
$$;
comment on function private.traffic_conversion_entities_refresh(text, bigint[]) is
  'Recomputes private.traffic_conversion_entities for the given leads / sales (p_kind) from their '
  'rows (entity by private.traffic_attribution_entity) and applies the difference to '
  'traffic_entity_conversions_daily. Returns the stored rows written or removed.';
revoke all on function private.traffic_conversion_entities_refresh(text, bigint[])
  from public, anon, authenticated, service_role;

-- Statement trigger of traffic_leads / traffic_sales.
create or replace function private.traffic_conversion_entities_sync()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids bigint[];
begin
  if tg_op = 'INSERT' then
    select array_agg(n.id) into v_ids from new_rows n where n.user_id is not null;
  elsif tg_op = 'DELETE' then
    select array_agg(o.id) into v_ids from old_rows o where o.user_id is not null;
  elsif tg_table_name = 'traffic_leads' then
    -- What the stored row depends on; other columns (statuses, names) leave it as it is.
    select array_agg(n.id) into v_ids
    from new_rows n join old_rows o on o.id = n.id
    where (n.user_id, n.utm_content, n.utm_term, n.utm_campaign, n.created_at, n.is_deleted)
      is distinct from (o.user_id, o.utm_content, o.utm_term, o.utm_campaign, o.created_at,
                        o.is_deleted);
  else
    select array_agg(n.id) into v_ids
    from new_rows n join old_rows o on o.id = n.id
    where (n.user_id, n.utm_content, n.utm_term, n.utm_campaign, n.sold_at, n.status,
           n.sale_amount)
      is distinct from (o.user_id, o.utm_content, o.utm_term, o.utm_campaign, o.sold_at,
                        o.status, o.sale_amount);
  end if;
  perform private.traffic_conversion_entities_refresh(
    case tg_table_name when 'traffic_leads' then 'lead' else 'sale' end, v_ids);
  return null;
end
$$;
comment on function private.traffic_conversion_entities_sync() is
  'Statement trigger of traffic_leads / traffic_sales: refreshes the stored entity rows of the '
  'conversions the statement wrote (updates only when a column they depend on changed).';
revoke all on function private.traffic_conversion_entities_sync()
  from public, anon, authenticated, service_role;

create trigger entity_conversions_insert after insert on public.traffic_leads
  referencing new table as new_rows
  for each statement execute function private.traffic_conversion_entities_sync();
create trigger entity_conversions_update after update on public.traffic_leads
  referencing old table as old_rows new table as new_rows
  for each statement execute function private.traffic_conversion_entities_sync();
create trigger entity_conversions_delete after delete on public.traffic_leads
  referencing old table as old_rows
  for each statement execute function private.traffic_conversion_entities_sync();
create trigger entity_conversions_insert after insert on public.traffic_sales
  referencing new table as new_rows
  for each statement execute function private.traffic_conversion_entities_sync();
create trigger entity_conversions_update after update on public.traffic_sales
  referencing old table as old_rows new table as new_rows
  for each statement execute function private.traffic_conversion_entities_sync();
create trigger entity_conversions_delete after delete on public.traffic_sales
  referencing old table as old_rows
  for each statement execute function private.traffic_conversion_entities_sync();

-- Statement trigger of private.traffic_ad_directory: a user's ads gained or lost an id.
create or replace function private.traffic_conversion_entities_directory_sync()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_users uuid[];
  v_ids text[];
  v_leads bigint[];
  v_sales bigint[];
begin
  -- public.traffic_rebuild_rollups rebuilds the directory, then every stored row.
  if current_setting('traffic.rebuilding_rollups', true) = 'on' then
    return null;
  end if;
  -- The (user, id) pairs whose matches the statement may have changed (none: an upsert that
  -- added nothing). The entity step (private.traffic_attribution_entity) reads, for an ad id, the
  -- ad's adset and campaign: every ad added or removed counts. For an adset id, its campaign: an
  -- (adset, campaign) pair new to the user's ads or gone from them. For a campaign id, only that
  -- the user has it: a campaign new to the user's ads or gone from them. (So a new ad in a known
  -- campaign does not refresh every conversion that names the campaign.)
  if tg_op = 'INSERT' then
    select array_agg(p.user_id), array_agg(p.id) into v_users, v_ids
    from (
      select distinct n.user_id, n.ad_id as id from new_rows n where n.ad_id <> ''
      union
      -- (an existing directory row of the pair = one whose ad is not among the statement's)
      select n.user_id, n.adset_id
      from (select n.user_id, n.adset_id, n.campaign_id, array_agg(n.ad_id) as ads
            from new_rows n where n.adset_id <> '' group by 1, 2, 3) as n
      where not exists (select 1 from private.traffic_ad_directory d
                        where d.adset_id = n.adset_id and d.user_id = n.user_id
                          and d.campaign_id = n.campaign_id and d.ad_id <> all (n.ads))
      union
      select n.user_id, n.campaign_id
      from (select n.user_id, n.campaign_id,
              array_agg(jsonb_build_array(n.ad_id, n.adset_id)) as ads
            from new_rows n where n.campaign_id <> '' group by 1, 2) as n
      where not exists (select 1 from private.traffic_ad_directory d
                        where d.campaign_id = n.campaign_id and d.user_id = n.user_id
                          and jsonb_build_array(d.ad_id, d.adset_id) <> all (n.ads))
    ) as p;
  else
    select array_agg(p.user_id), array_agg(p.id) into v_users, v_ids
    from (
      select distinct o.user_id, o.ad_id as id from old_rows o where o.ad_id <> ''
      union
      select o.user_id, o.adset_id from old_rows o
      where o.adset_id <> ''
        and not exists (select 1 from private.traffic_ad_directory d
                        where d.adset_id = o.adset_id and d.user_id = o.user_id
                          and d.campaign_id = o.campaign_id)
      union
      select o.user_id, o.campaign_id from old_rows o
      where o.campaign_id <> ''
        and not exists (select 1 from private.traffic_ad_directory d
                        where d.campaign_id = o.campaign_id and d.user_id = o.user_id)
    ) as p;
  end if;
  if v_users is null then
    return null;
  end if;
  -- Their user's conversions that name one of them in a UTM value: found through the UTM
  -- columns' indexes, then kept when of that user (OFFSET 0: a lookup by user would read every
  -- conversion of the user, once per id).
  select array_agg(distinct l.id) into v_leads
  from unnest(v_users, v_ids) as e(user_id, id)
  cross join lateral (select l.id, l.user_id from public.traffic_leads l
    where l.utm_content = e.id or l.utm_term = e.id or l.utm_campaign = e.id offset 0) as l
  where l.user_id = e.user_id;
  select array_agg(distinct s.id) into v_sales
  from unnest(v_users, v_ids) as e(user_id, id)
  cross join lateral (select s.id, s.user_id from public.traffic_sales s
    where s.utm_content = e.id or s.utm_term = e.id or s.utm_campaign = e.id offset 0) as s
  where s.user_id = e.user_id;
  perform private.traffic_conversion_entities_refresh('lead', v_leads);
  perform private.traffic_conversion_entities_refresh('sale', v_sales);
  return null;
end
$$;
comment on function private.traffic_conversion_entities_directory_sync() is
  'Statement trigger of private.traffic_ad_directory: refreshes the stored entity rows of the '
  'conversions whose UTM values name an id the statement added to or removed from its user''s ads.';
revoke all on function private.traffic_conversion_entities_directory_sync()
  from public, anon, authenticated, service_role;

create trigger entity_conversions_insert after insert on private.traffic_ad_directory
  referencing new table as new_rows
  for each statement execute function private.traffic_conversion_entities_directory_sync();
create trigger entity_conversions_delete after delete on private.traffic_ad_directory
  referencing old table as old_rows
  for each statement execute function private.traffic_conversion_entities_directory_sync();

-- Everything, from the sources (the repair path; after a TRUNCATE of a source).
create or replace function private.traffic_rebuild_entity_conversions()
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
  lock table public.traffic_leads, public.traffic_sales in share mode;
  delete from private.traffic_conversion_entities;
  delete from public.traffic_entity_conversions_daily;
  perform private.traffic_conversion_entities_refresh('lead',
    (select array_agg(l.id) from public.traffic_leads l
     where not l.is_deleted and l.user_id is not null));
  perform private.traffic_conversion_entities_refresh('sale',
    (select array_agg(s.id) from public.traffic_sales s
     where s.status = 'active' and s.user_id is not null));
  return jsonb_build_object(
    'conversion_entities', (select count(*) from private.traffic_conversion_entities),
    'entity_conversions_daily_rows',
      (select count(*) from public.traffic_entity_conversions_daily));
end
$$;
comment on function private.traffic_rebuild_entity_conversions() is
  'Recomputes private.traffic_conversion_entities and traffic_entity_conversions_daily from '
  'every lead and sale (repair; called by traffic_rebuild_rollups and after a TRUNCATE of '
  'traffic_leads / traffic_sales). Returns the row counts.';
revoke all on function private.traffic_rebuild_entity_conversions()
  from public, anon, authenticated, service_role;

create or replace function private.traffic_conversion_entities_truncate()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.traffic_rebuild_entity_conversions();
  return null;
end
$$;
comment on function private.traffic_conversion_entities_truncate() is
  'TRUNCATE trigger of traffic_leads / traffic_sales: rebuilds the stored entity rows.';
revoke all on function private.traffic_conversion_entities_truncate()
  from public, anon, authenticated, service_role;
create trigger entity_conversions_truncate after truncate on public.traffic_leads
  for each statement execute function private.traffic_conversion_entities_truncate();
create trigger entity_conversions_truncate after truncate on public.traffic_sales
  for each statement execute function private.traffic_conversion_entities_truncate();

-- The response cache hears of every write of the new table (per team; a truncate is global), as
-- of the other tables traffic-api reads (20261207114917).
create trigger traffic_api_change_insert after insert on public.traffic_entity_conversions_daily
  referencing new table as new_rows for each statement
  execute function private.traffic_api_note_team_change();
create trigger traffic_api_change_update after update on public.traffic_entity_conversions_daily
  referencing old table as old_rows new table as new_rows for each statement
  execute function private.traffic_api_note_team_change();
create trigger traffic_api_change_delete after delete on public.traffic_entity_conversions_daily
  referencing old table as old_rows for each statement
  execute function private.traffic_api_note_team_change();
create trigger traffic_api_change_truncate after truncate on public.traffic_entity_conversions_daily
  for each statement execute function private.traffic_api_note_change();

-- The repair path rebuilds these too (body: 20261207123232's, with the directory rebuild marked
-- so the directory triggers leave the stored rows to the rebuild at the end).
create or replace function public.traffic_rebuild_rollups()
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_daily int;
  v_directory int;
  v_owners int;
  v_sources int;
  v_result jsonb;
begin
  -- Keeps raw writers out while both tables are rebuilt (their triggers would race the rebuild).
  lock table public.traffic_facebook_ads_raw in share mode;
  delete from public.traffic_spend_daily;
  insert into public.traffic_spend_daily (user_id, stat_date, account_currency, spend,
    impressions, clicks, reach, ad_rows)
  select r.user_id, r.stat_date, upper(r.account_currency), sum(r.spend), sum(r.impressions),
    sum(r.clicks), sum(r.reach), count(*)
  from public.traffic_facebook_ads_raw r
  group by r.user_id, r.stat_date, upper(r.account_currency);
  get diagnostics v_daily = row_count;

  -- The stored entity rows are rebuilt once, at the end (not per directory statement).
  perform set_config('traffic.rebuilding_rollups', 'on', true);
  delete from private.traffic_ad_directory;
  insert into private.traffic_ad_directory (user_id, ad_id, adset_id, campaign_id)
  select distinct r.user_id, r.ad_id, coalesce(r.adset_id, ''), coalesce(r.campaign_id, '')
  from public.traffic_facebook_ads_raw r;
  get diagnostics v_directory = row_count;
  perform set_config('traffic.rebuilding_rollups', 'off', true);

  perform pg_advisory_xact_lock(hashtext('private.traffic_attribution_id_owners'));
  delete from private.traffic_attribution_id_owners;
  insert into private.traffic_attribution_id_owners (id, rank, level, user_id, shared)
  select o.id, o.rank, o.level, o.user_id, o.shared
  from private.traffic_attribution_owners_of(
    (select array_agg(distinct v.id)
     from private.traffic_ad_directory d
     cross join lateral (values (d.ad_id), (d.adset_id), (d.campaign_id)) v(id)
     where v.id <> '')) as o;
  get diagnostics v_owners = row_count;

  perform pg_advisory_xact_lock(hashtext('private.traffic_utm_source_owners'));
  delete from private.traffic_utm_source_claims c
  where not exists (select 1 from public.traffic_targetologist_settings s
                    cross join lateral unnest(s.utm_sources) as x(value)
                    where s.user_id = c.user_id and lower(x.value) = c.source);
  insert into private.traffic_utm_source_claims (source, user_id)
  select distinct lower(x.value), s.user_id
  from public.traffic_targetologist_settings s
  cross join lateral unnest(s.utm_sources) as x(value)
  where x.value is not null and x.value <> ''
  on conflict do nothing;
  delete from private.traffic_utm_source_owners;
  perform private.traffic_utm_source_refresh(
    (select array_agg(distinct c.source) from private.traffic_utm_source_claims c));
  select count(*) into v_sources from private.traffic_utm_source_owners;

  insert into private.traffic_attribution_queue (kind) values ('all');

  v_result := jsonb_build_object('spend_daily_rows', v_daily, 'ad_directory_rows', v_directory,
    'attribution_id_owners', v_owners, 'utm_source_owners', v_sources)
    || private.traffic_rebuild_leads_sales_daily();
  -- The per-day totals follow the rollups' statements; a rollup row written with triggers off
  -- (the case this repair is for) left them off too, and delete + insert above only moves them
  -- by what the triggers saw. Recomputed from the rebuilt rollups.
  perform private.traffic_rebuild_day_totals();
  -- The attributed conversions per entity and day (GET /campaigns), from every lead and sale.
  v_result := v_result || private.traffic_rebuild_entity_conversions();
  return v_result;
end
$$;
comment on function public.traffic_rebuild_rollups() is
  'Recomputes traffic_spend_daily, private.traffic_ad_directory, the attribution owner tables and '
  'traffic_leads_daily / traffic_sales_daily (repair after writes with triggers off), then the '
  'per-day totals (private.traffic_rebuild_day_totals) and the conversions per entity and day '
  '(private.traffic_rebuild_entity_conversions), and has the '
  'next traffic_resolve_attribution() look at every lead and sale. Returns {spend_daily_rows, '
  'ad_directory_rows, attribution_id_owners, utm_source_owners, leads_daily_rows, '
  'sales_daily_rows, conversion_entities, entity_conversions_daily_rows}.';
revoke all on function public.traffic_rebuild_rollups() from public, anon, authenticated;
grant execute on function public.traffic_rebuild_rollups() to service_role;

-- What exists now.
select private.traffic_rebuild_entity_conversions();
