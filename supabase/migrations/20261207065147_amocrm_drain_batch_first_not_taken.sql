-- private.amocrm_drain_batch: a batch led by p_first takes nothing else when p_first itself is
-- not taken (its row locked by another transaction, or no longer pending/failed). Before, the
-- webhook's "process my own body" call (limit 1) then took the oldest other pending body, and
-- could record another webhook's bad body as failed (review R3-5). Otherwise the same as
-- 20261207062344's definition.
create or replace function private.amocrm_drain_batch(
  p_limit int,
  p_first bigint default null,
  p_each_alone boolean default true
)
returns int
language plpgsql
set search_path = ''
as $$
declare
  v_ids bigint[] := '{}';
  v_id bigint;
begin
  if p_first is not null then
    v_ids := array(select e.id from public.traffic_amocrm_events e
      where e.id = p_first and e.status in ('pending', 'failed') for update skip locked);
    -- The batch is led by p_first or it is nothing: when another transaction holds that row (a
    -- replay of the same body), the caller (a webhook request with limit 1) must not process
    -- some other webhook's body in its place.
    if cardinality(v_ids) = 0 then
      return 0;
    end if;
  end if;
  v_ids := v_ids || array(
    select e.id from public.traffic_amocrm_events e
    where e.status = 'pending' and e.id is distinct from p_first
    order by e.received_at, e.id
    limit greatest(p_limit - cardinality(v_ids), 0)
    for update skip locked);
  if cardinality(v_ids) = 0 then
    return 0;
  end if;
  begin
    perform private.amocrm_apply_events(v_ids);
  exception when others then
    if not p_each_alone then
      raise;
    end if;
    -- One bad body must not hold back the others: each alone, its outcome recorded on its row.
    foreach v_id in array v_ids loop
      perform public.amocrm_process_event(v_id);
    end loop;
  end;
  return cardinality(v_ids);
end
$$;
