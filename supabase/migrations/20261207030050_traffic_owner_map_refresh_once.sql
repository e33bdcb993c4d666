-- One definition of "bring an attribution owner map in step and queue what moved" (issue 16).
-- private.traffic_attribution_refresh_ids (20261202100100: Facebook id -> owner) and
-- private.traffic_utm_source_refresh (20261202100200: utm_source -> owner) were the same steps
-- over two tables: serialize on the map, compute the fresh rows of the given keys, queue for
-- re-attribution each key whose owner (or level) changed, delete the keys nobody owns any more,
-- upsert the rows that differ, return how many moved. That is now
-- private.traffic_owner_map_refresh(map, key column, the columns whose change moves attribution,
-- queue kind, keys, the query of the fresh rows); each caller keeps only its own rule (which rows
-- are fresh). Behaviour unchanged (pgTAP 220, 221, 205 and the agreement tests). The statement is
-- built once per call (these run when the ad directory gains or loses an id, or a utm_source
-- claim changes, not per ad-day row).

create or replace function private.traffic_owner_map_refresh(
  p_map regclass,
  p_key text,
  p_moves text[],
  p_kind text,
  p_keys text[],
  p_fresh text
)
returns int
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_cols text[];
  v_changed int;
begin
  if coalesce(cardinality(p_keys), 0) = 0 then
    return 0;
  end if;
  -- One transaction at a time per map, so two writers of the same key cannot each miss the
  -- other's rows; each statement below reads after the lock (read committed).
  perform pg_advisory_xact_lock(hashtext(p_map::text));
  select array_agg(quote_ident(a.attname) order by a.attnum) into v_cols
  from pg_attribute a
  where a.attrelid = p_map and a.attnum > 0 and not a.attisdropped;
  execute format(
    $f$
    with fresh as materialized (%1$s),
    old as materialized (select o.* from %2$s o where o.%3$I = any ($1)),
    queued as (
      insert into private.traffic_attribution_queue (kind, key)
      select $2, coalesce(f.%3$I, o.%3$I)
      from old o
      full join fresh f on f.%3$I = o.%3$I
      where (%4$s) is distinct from (%5$s)
      returning 1
    ),
    gone as (
      delete from %2$s t
      using old o
      where t.%3$I = o.%3$I and not exists (select 1 from fresh f where f.%3$I = o.%3$I)
    ),
    upserted as (
      insert into %2$s as t (%6$s)
      select %7$s from fresh f
      order by f.%3$I
      on conflict (%3$I) do update set (%6$s) = row(%8$s)
      where row(%9$s) is distinct from row(%8$s)
    )
    select count(*) from queued
    $f$,
    p_fresh, p_map, p_key,
    (select string_agg('o.' || quote_ident(m), ', ') from unnest(p_moves) as m),
    (select string_agg('f.' || quote_ident(m), ', ') from unnest(p_moves) as m),
    array_to_string(v_cols, ', '),
    (select string_agg('f.' || c, ', ') from unnest(v_cols) as c),
    (select string_agg('excluded.' || c, ', ') from unnest(v_cols) as c),
    (select string_agg('t.' || c, ', ') from unnest(v_cols) as c))
  into v_changed
  using p_keys, p_kind;
  return v_changed;
end
$$;
comment on function private.traffic_owner_map_refresh(regclass, text, text[], text, text[], text) is
  'Brings the owner map p_map (key column p_key) in step for p_keys: p_fresh is the query of the '
  'keys'' fresh rows (the map''s columns in order; $1 = the keys); queues (kind p_kind) each key '
  'whose p_moves columns changed, deletes keys no longer owned, upserts rows that differ. '
  'Serialized per map. Returns how many keys moved.';
revoke all on function private.traffic_owner_map_refresh(regclass, text, text[], text, text[], text)
  from public, anon, authenticated, service_role;

create or replace function private.traffic_attribution_refresh_ids(p_ids text[])
returns int
language sql
security definer
set search_path = ''
as $$
  select private.traffic_owner_map_refresh('private.traffic_attribution_id_owners', 'id',
    array['user_id', 'level'], 'id', p_ids,
    'select * from private.traffic_attribution_owners_of($1)')
$$;
comment on function private.traffic_attribution_refresh_ids(text[]) is
  'Recomputes private.traffic_attribution_id_owners for the given ids from the ad directory and '
  'queues the ids whose owner changed for re-attribution; returns how many changed.';
revoke all on function private.traffic_attribution_refresh_ids(text[])
  from public, anon, authenticated, service_role;

create or replace function private.traffic_utm_source_refresh(p_sources text[])
returns int
language sql
security definer
set search_path = ''
as $$
  -- The owner of a source: an active claimant before an inactive one, then the earliest claim,
  -- then the lowest user_id.
  select private.traffic_owner_map_refresh('private.traffic_utm_source_owners', 'source',
    array['user_id'], 'source', p_sources,
    $q$select distinct on (c.source) c.source, c.user_id,
         (count(*) over (partition by c.source))::int as claimants
       from private.traffic_utm_source_claims c
       join public.traffic_targetologist_settings s on s.user_id = c.user_id
       where c.source = any ($1)
       order by c.source, s.is_active desc, c.claimed_at, c.user_id$q$)
$$;
comment on function private.traffic_utm_source_refresh(text[]) is
  'Recomputes private.traffic_utm_source_owners for the given lower-cased sources and queues the '
  'sources whose owner changed for re-attribution; returns how many changed.';
revoke all on function private.traffic_utm_source_refresh(text[])
  from public, anon, authenticated, service_role;
