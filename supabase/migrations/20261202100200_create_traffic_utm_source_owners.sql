-- utm_source ownership: unique across targetologists (case-insensitive), first come, and a claim
-- never moves anything (issue 12 item 1: a targetologist could PUT another team's utm_source and,
-- winning the old "lowest user_id" tie-break, take its leads and sales).
--
--  * private.traffic_utm_source_claims: who holds which lower-cased source since when, kept in
--    step with traffic_targetologist_settings.utm_sources by statement triggers.
--  * private.traffic_utm_source_owners: the owner of each source, read by attribution with one
--    primary-key lookup: an active claimant before an inactive one, then the EARLIEST claim, then
--    the lowest user_id. Owner changes queue the source for re-attribution.
--  * A BEFORE trigger refuses (SQLSTATE 23505, which PostgREST answers 409) any write that adds a
--    source someone else already claims. Only a superuser session (migrations, repairs, the
--    pgTAP fixtures) may still create a shared source; it is then reported as ambiguous by
--    traffic_resolve_attribution() and, being the later claim, moves nothing from the holder.
create table private.traffic_utm_source_claims (
  source text not null,
  user_id uuid not null,
  claimed_at timestamptz not null default clock_timestamp(),
  primary key (source, user_id)
);
alter table private.traffic_utm_source_claims enable row level security;
comment on table private.traffic_utm_source_claims is
  'Lower-cased utm_source claimed by a targetologist (traffic_targetologist_settings.utm_sources) '
  'and since when; maintained by triggers. No client access.';
revoke all on table private.traffic_utm_source_claims from public, anon, authenticated,
  service_role;
create index traffic_utm_source_claims_user_idx on private.traffic_utm_source_claims (user_id);

create table private.traffic_utm_source_owners (
  source text primary key,
  user_id uuid not null,
  claimants int not null
);
alter table private.traffic_utm_source_owners enable row level security;
comment on table private.traffic_utm_source_owners is
  'Lower-cased utm_source -> owning targetologist (active first, then earliest claim, then lowest '
  'user_id); claimants > 1 only for a shared source a superuser created. Maintained by triggers.';
revoke all on table private.traffic_utm_source_owners from public, anon, authenticated,
  service_role;

-- Recomputes the owners of the given (lower-cased) sources from the claims and queues the sources
-- whose owner changed. Serialized like the id owners.
create or replace function private.traffic_utm_source_refresh(p_sources text[])
returns int
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_changed int;
begin
  if coalesce(cardinality(p_sources), 0) = 0 then
    return 0;
  end if;
  perform pg_advisory_xact_lock(hashtext('private.traffic_utm_source_owners'));
  with fresh as materialized (
    select distinct on (c.source) c.source, c.user_id,
      count(*) over (partition by c.source) as claimants
    from private.traffic_utm_source_claims c
    join public.traffic_targetologist_settings s on s.user_id = c.user_id
    where c.source = any (p_sources)
    order by c.source, s.is_active desc, c.claimed_at, c.user_id
  ),
  old as materialized (
    select o.* from private.traffic_utm_source_owners o where o.source = any (p_sources)
  ),
  queued as (
    insert into private.traffic_attribution_queue (kind, key)
    select 'source', coalesce(f.source, o.source)
    from old o
    full join fresh f on f.source = o.source
    where o.user_id is distinct from f.user_id
    returning 1
  ),
  gone as (
    delete from private.traffic_utm_source_owners t
    using old o
    where t.source = o.source and not exists (select 1 from fresh f where f.source = o.source)
  ),
  upserted as (
    insert into private.traffic_utm_source_owners as t (source, user_id, claimants)
    select f.source, f.user_id, f.claimants from fresh f
    order by f.source
    on conflict (source) do update set user_id = excluded.user_id,
      claimants = excluded.claimants
    where (t.user_id, t.claimants) is distinct from (excluded.user_id, excluded.claimants)
  )
  select count(*) into v_changed from queued;
  return v_changed;
end
$$;
comment on function private.traffic_utm_source_refresh(text[]) is
  'Recomputes private.traffic_utm_source_owners for the given lower-cased sources and queues the '
  'sources whose owner changed for re-attribution; returns how many changed.';
revoke all on function private.traffic_utm_source_refresh(text[])
  from public, anon, authenticated, service_role;

-- The first of p_sources (compared lower-cased) that a user other than p_user claims, or null.
-- Takes a transaction lock per source first, so two users claiming the same new source at once
-- are serialized and the second sees the first's claim.
create or replace function private.traffic_utm_source_taken(p_user uuid, p_sources text[])
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_source text;
  v_taken text;
begin
  for v_source in
    select distinct lower(x.value) from unnest(p_sources) as x(value)
    where x.value is not null and x.value <> '' order by 1
  loop
    perform pg_advisory_xact_lock(hashtext('traffic utm_source ' || v_source));
  end loop;
  select x.value into v_taken
  from unnest(p_sources) with ordinality as x(value, n)
  where exists (select 1 from private.traffic_utm_source_claims c
                where c.source = lower(x.value) and c.user_id <> p_user)
  order by x.n
  limit 1;
  return v_taken;
end
$$;
comment on function private.traffic_utm_source_taken(uuid, text[]) is
  'The first of p_sources (case-insensitive) another user already claims, else null; serializes '
  'concurrent claims of the same source. Names the source only, never its holder.';
revoke all on function private.traffic_utm_source_taken(uuid, text[])
  from public, anon, authenticated, service_role;

-- BEFORE INSERT / UPDATE OF utm_sources: refuses a source another targetologist holds. The caller's
-- role is read from the 'role' setting (what PostgREST's SET ROLE and the tests set; a security
-- definer function does not change it), else the session user.
create or replace function private.traffic_utm_sources_unique()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_role text := coalesce(nullif(current_setting('role', true), 'none'), session_user);
  v_added text[];
  v_taken text;
begin
  -- A superuser session (migrations, repairs, fixtures) may create a shared source: it is reported
  -- as ambiguous and, being the later claim, takes nothing from the holder.
  if exists (select 1 from pg_catalog.pg_roles r where r.rolname = v_role and r.rolsuper) then
    return new;
  end if;
  select array_agg(x.value) into v_added
  from unnest(new.utm_sources) as x(value)
  where tg_op = 'INSERT'
     or lower(x.value) not in (select lower(o.value) from unnest(old.utm_sources) as o(value)
                               where o.value is not null);
  v_taken := private.traffic_utm_source_taken(new.user_id, v_added);
  if v_taken is not null then
    raise exception 'utm_source "%" is already claimed by another targetologist', v_taken
      using errcode = '23505',
        detail = 'utm_sources are unique across targetologists, compared case-insensitively; '
          'leads and sales of a source belong to the team that claimed it first.',
        hint = 'Use a utm_source of your own, or ask an admin to remove it from the other team.';
  end if;
  return new;
end
$$;
comment on function private.traffic_utm_sources_unique() is
  'BEFORE trigger of traffic_targetologist_settings: raises 23505 (HTTP 409 via PostgREST) when a '
  'write adds a utm_source (case-insensitive) another targetologist claims; superusers exempt.';
revoke all on function private.traffic_utm_sources_unique()
  from public, anon, authenticated, service_role;

create trigger utm_sources_unique
  before insert or update of utm_sources on public.traffic_targetologist_settings
  for each row execute function private.traffic_utm_sources_unique();

-- AFTER each statement: the claims of the rows written follow their utm_sources (new claims are
-- stamped now; kept ones keep their time), and the owners of every source involved are
-- recomputed (is_active changes an owner too).
create or replace function private.traffic_utm_source_claims_sync()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_sources text[];
begin
  if tg_op = 'DELETE' then
    with gone as (
      delete from private.traffic_utm_source_claims c
      where c.user_id in (select o.user_id from old_rows o)
      returning c.source
    )
    select array_agg(distinct g.source) into v_sources from gone g;
  else
    with wanted as (
      select distinct n.user_id, lower(x.value) as source
      from new_rows n cross join lateral unnest(n.utm_sources) as x(value)
      where x.value is not null and x.value <> ''
    ),
    gone as (
      delete from private.traffic_utm_source_claims c
      where c.user_id in (select n.user_id from new_rows n)
        and not exists (select 1 from wanted w
                        where w.user_id = c.user_id and w.source = c.source)
      returning c.source
    ),
    added as (
      insert into private.traffic_utm_source_claims (source, user_id)
      select w.source, w.user_id from wanted w
      order by w.source, w.user_id
      on conflict (source, user_id) do nothing
    )
    select array_agg(distinct s.source) into v_sources
    from (select g.source from gone g union select w.source from wanted w) as s;
  end if;
  perform private.traffic_utm_source_refresh(v_sources);
  return null;
end
$$;
comment on function private.traffic_utm_source_claims_sync() is
  'Statement trigger of traffic_targetologist_settings: keeps private.traffic_utm_source_claims '
  'equal to the rows'' utm_sources and refreshes the owners of the sources involved.';
revoke all on function private.traffic_utm_source_claims_sync()
  from public, anon, authenticated, service_role;

create trigger utm_source_claims_insert after insert on public.traffic_targetologist_settings
  referencing new table as new_rows
  for each statement execute function private.traffic_utm_source_claims_sync();
create trigger utm_source_claims_update after update on public.traffic_targetologist_settings
  referencing new table as new_rows
  for each statement execute function private.traffic_utm_source_claims_sync();
create trigger utm_source_claims_delete after delete on public.traffic_targetologist_settings
  referencing old table as old_rows
  for each statement execute function private.traffic_utm_source_claims_sync();

-- Claims that exist before this migration, all stamped now: the old tie-break (active first, then
-- lowest user_id) decides, so the migration itself moves nothing.
insert into private.traffic_utm_source_claims (source, user_id, claimed_at)
select distinct lower(x.value), s.user_id, now()
from public.traffic_targetologist_settings s
cross join lateral unnest(s.utm_sources) as x(value)
where x.value is not null and x.value <> ''
on conflict do nothing;
do $$
begin
  perform private.traffic_utm_source_refresh(
    (select array_agg(distinct c.source) from private.traffic_utm_source_claims c));
end
$$;
