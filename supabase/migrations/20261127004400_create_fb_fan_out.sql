-- The scheduled fb-ads-sync run fans out: one pg_net call of fb-ads-sync per targetologist, so no
-- single invocation carries the whole team (edge functions get 2 s of CPU each). private is not
-- exposed by PostgREST, so the function calls this public wrapper (service_role only).
create or replace function public.fb_fan_out(p_body jsonb default '{}')
returns int
language sql
volatile
security definer
set search_path = ''
as $$
  with queued as (
    select private.invoke_function('fb-ads-sync',
      coalesce(p_body, '{}') || jsonb_build_object('user_id', s.user_id)) as request_id
    from public.traffic_targetologist_settings s
    where s.is_active and cardinality(s.fb_ad_accounts) > 0
  )
  select count(*)::int from queued
$$;
comment on function public.fb_fan_out(jsonb) is
  'Queues one private.invoke_function(''fb-ads-sync'', p_body || {user_id}) per active '
  'targetologist with ad accounts, in one statement; returns how many were queued.';
revoke all on function public.fb_fan_out(jsonb) from public, anon, authenticated;
grant execute on function public.fb_fan_out(jsonb) to service_role;
