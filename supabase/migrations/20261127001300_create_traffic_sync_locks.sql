-- Named leases that stop two runs of the same job from overlapping across HTTP calls. Advisory
-- locks cannot do it: PostgREST runs each rpc in its own pooled transaction, so a session lock
-- would outlive or miss the caller. A lease has a TTL, so a crashed holder frees it eventually.
create table public.traffic_sync_locks (
  lock_key text primary key,
  holder uuid not null,
  locked_until timestamptz not null,
  acquired_at timestamptz not null default now()
);
alter table public.traffic_sync_locks enable row level security;

comment on table public.traffic_sync_locks is
  'Leases taken by traffic_try_lock() and freed by traffic_release_lock(); service_role only.';

-- No policies and no client grants: only service_role (bypasses RLS) and the functions below.
revoke all on table public.traffic_sync_locks from anon, authenticated;
grant all on table public.traffic_sync_locks to service_role;

create or replace function public.traffic_try_lock(p_key text, p_ttl_seconds int)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_holder uuid;
begin
  if p_key is null or p_ttl_seconds is null or p_ttl_seconds <= 0 then
    raise exception 'traffic_try_lock: p_key is required and p_ttl_seconds must be > 0'
      using errcode = '22023';
  end if;
  -- Take the key when it is free or its lease has expired. A concurrent caller waits on the row
  -- lock, then re-checks locked_until against the winner's row and gets nothing.
  insert into public.traffic_sync_locks as l (lock_key, holder, locked_until, acquired_at)
  values (p_key, gen_random_uuid(), clock_timestamp() + make_interval(secs => p_ttl_seconds),
    clock_timestamp())
  on conflict (lock_key) do update
    set holder = excluded.holder,
        locked_until = excluded.locked_until,
        acquired_at = excluded.acquired_at
    where l.locked_until <= clock_timestamp()
  returning holder into v_holder;
  return v_holder;
end
$$;
comment on function public.traffic_try_lock(text, int) is
  'Takes the lease p_key for p_ttl_seconds. Returns a new holder id when acquired (also when the '
  'previous lease expired), null when someone else holds it.';
revoke all on function public.traffic_try_lock(text, int) from public, anon, authenticated;
grant execute on function public.traffic_try_lock(text, int) to service_role;

create or replace function public.traffic_release_lock(p_key text, p_holder uuid)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from public.traffic_sync_locks where lock_key = p_key and holder = p_holder;
  return found;
end
$$;
comment on function public.traffic_release_lock(text, uuid) is
  'Frees the lease p_key if p_holder still holds it; true when it did, false otherwise '
  '(expired and taken over, or never held).';
revoke all on function public.traffic_release_lock(text, uuid) from public, anon, authenticated;
grant execute on function public.traffic_release_lock(text, uuid) to service_role;
