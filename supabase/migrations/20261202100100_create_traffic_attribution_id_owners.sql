-- The Facebook id -> owner map of attribution as a maintained TABLE instead of a view that groups
-- the whole ad directory on every read: a lead's attribution now reads one primary-key row per UTM
-- value (O(1) in the number of ads). Statement triggers on private.traffic_ad_directory recompute
-- only the ids a statement touched, each from its own index entries, and queue the ids whose owner
-- or level changed for the next re-attribution (private.traffic_attribution_queue), so the
-- aggregation re-attributes only the leads and sales that name them.

-- What re-attribution has to look at again: an id whose owner changed ('id'), a lower-cased
-- utm_source whose owner changed ('source'), a lead or sale whose UTM values or attribution were
-- written ('lead' / 'sale', key = its id), or everything ('all', after a repair). Drained by
-- traffic_resolve_attribution().
create table private.traffic_attribution_queue (
  kind text not null check (kind in ('id', 'source', 'lead', 'sale', 'all')),
  key text not null default ''
);
alter table private.traffic_attribution_queue enable row level security;
comment on table private.traffic_attribution_queue is
  'Work list of the next traffic_resolve_attribution(): ids / utm_sources whose owner changed, '
  'leads / sales written since, or ''all''. Drained by each run. No client access.';
revoke all on table private.traffic_attribution_queue from public, anon, authenticated,
  service_role;
-- The first re-attribution after this migration looks at every row once.
insert into private.traffic_attribution_queue (kind) values ('all');

-- Per-id lookups into the directory (its primary key leads with user_id).
create index if not exists traffic_ad_directory_ad_id_idx
  on private.traffic_ad_directory (ad_id);
create index if not exists traffic_ad_directory_adset_id_idx
  on private.traffic_ad_directory (adset_id);
create index if not exists traffic_ad_directory_campaign_id_idx
  on private.traffic_ad_directory (campaign_id);

create table private.traffic_attribution_id_owners (
  id text primary key,
  rank int not null check (rank in (1, 2, 3)),
  level text not null check (level in ('ad', 'adset', 'campaign')),
  user_id uuid not null,
  shared boolean not null
);
alter table private.traffic_attribution_id_owners enable row level security;
comment on table private.traffic_attribution_id_owners is
  'Facebook id -> owning targetologist at the id''s best level (ad 1, adset 2, campaign 3) in '
  'private.traffic_ad_directory; an id under several users at that level goes to the lowest '
  'user_id (shared = true). Maintained by triggers on the directory. No client access.';
revoke all on table private.traffic_attribution_id_owners from public, anon, authenticated,
  service_role;
create index traffic_attribution_id_owners_shared_idx
  on private.traffic_attribution_id_owners (id) where shared;

-- The owner of each given id, from the directory: the best level that has the id, the lowest
-- user_id at that level ("C" byte order, as the view had), shared when several users have it.
create or replace function private.traffic_attribution_owners_of(p_ids text[])
returns table (id text, rank int, level text, user_id uuid, shared boolean)
language sql
stable
set search_path = ''
as $$
  select distinct on (o.id) o.id, o.rank, o.level, o.user_id, o.shared
  from (
    select c.id, c.rank, c.level,
      min(c.user_id::text collate "C")::uuid as user_id,
      min(c.user_id::text collate "C") <> max(c.user_id::text collate "C") as shared
    from (select distinct x.id from unnest(p_ids) as x(id) where x.id <> '') as i
    cross join lateral (
      select i.id, 1 as rank, 'ad' as level, d.user_id
      from private.traffic_ad_directory d where d.ad_id = i.id
      union all
      select i.id, 2, 'adset', d.user_id
      from private.traffic_ad_directory d where d.adset_id = i.id
      union all
      select i.id, 3, 'campaign', d.user_id
      from private.traffic_ad_directory d where d.campaign_id = i.id
    ) as c
    group by c.id, c.rank, c.level
  ) as o
  order by o.id, o.rank
$$;
comment on function private.traffic_attribution_owners_of(text[]) is
  'Owner rows (id, rank, level, user_id, shared) of the given Facebook ids, computed from '
  'private.traffic_ad_directory by index lookups; ids nobody has are absent.';
revoke all on function private.traffic_attribution_owners_of(text[])
  from public, anon, authenticated, service_role;

-- Brings the owner rows of p_ids in step with the directory and queues the ids whose owner or
-- level changed. Serialized (one transaction at a time) so two writers of the same id cannot each
-- miss the other's directory rows; each statement below reads after the lock (read committed).
create or replace function private.traffic_attribution_refresh_ids(p_ids text[])
returns int
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_changed int;
begin
  if coalesce(cardinality(p_ids), 0) = 0 then
    return 0;
  end if;
  perform pg_advisory_xact_lock(hashtext('private.traffic_attribution_id_owners'));
  with fresh as materialized (
    select * from private.traffic_attribution_owners_of(p_ids)
  ),
  old as materialized (
    select o.* from private.traffic_attribution_id_owners o where o.id = any (p_ids)
  ),
  queued as (
    insert into private.traffic_attribution_queue (kind, key)
    select 'id', coalesce(f.id, o.id)
    from old o
    full join fresh f on f.id = o.id
    where (o.user_id, o.level) is distinct from (f.user_id, f.level)
    returning 1
  ),
  gone as (
    delete from private.traffic_attribution_id_owners t
    using old o
    where t.id = o.id and not exists (select 1 from fresh f where f.id = o.id)
  ),
  upserted as (
    insert into private.traffic_attribution_id_owners as t (id, rank, level, user_id, shared)
    select f.id, f.rank, f.level, f.user_id, f.shared from fresh f
    order by f.id
    on conflict (id) do update set rank = excluded.rank, level = excluded.level,
      user_id = excluded.user_id, shared = excluded.shared
    where (t.rank, t.level, t.user_id, t.shared)
      is distinct from (excluded.rank, excluded.level, excluded.user_id, excluded.shared)
  )
  select count(*) into v_changed from queued;
  return v_changed;
end
$$;
comment on function private.traffic_attribution_refresh_ids(text[]) is
  'Recomputes private.traffic_attribution_id_owners for the given ids from the ad directory and '
  'queues the ids whose owner changed for re-attribution; returns how many changed.';
revoke all on function private.traffic_attribution_refresh_ids(text[])
  from public, anon, authenticated, service_role;

create or replace function private.traffic_attribution_ids_sync()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids text[];
begin
  if tg_op = 'INSERT' then
    select array_agg(distinct v.id) into v_ids
    from new_rows n cross join lateral (values (n.ad_id), (n.adset_id), (n.campaign_id)) v(id)
    where v.id <> '';
  else
    select array_agg(distinct v.id) into v_ids
    from old_rows o cross join lateral (values (o.ad_id), (o.adset_id), (o.campaign_id)) v(id)
    where v.id <> '';
  end if;
  perform private.traffic_attribution_refresh_ids(v_ids);
  return null;
end
$$;
comment on function private.traffic_attribution_ids_sync() is
  'Statement trigger of private.traffic_ad_directory: refreshes the owner rows of the ids the '
  'statement added or removed.';
revoke all on function private.traffic_attribution_ids_sync()
  from public, anon, authenticated, service_role;

create trigger attribution_ids_insert after insert on private.traffic_ad_directory
  referencing new table as new_rows
  for each statement execute function private.traffic_attribution_ids_sync();
create trigger attribution_ids_delete after delete on private.traffic_ad_directory
  referencing old table as old_rows
  for each statement execute function private.traffic_attribution_ids_sync();

-- Rows that exist before this migration.
insert into private.traffic_attribution_id_owners (id, rank, level, user_id, shared)
select o.id, o.rank, o.level, o.user_id, o.shared
from private.traffic_attribution_owners_of(
  (select array_agg(distinct v.id)
   from private.traffic_ad_directory d
   cross join lateral (values (d.ad_id), (d.adset_id), (d.campaign_id)) v(id)
   where v.id <> '')) as o;
