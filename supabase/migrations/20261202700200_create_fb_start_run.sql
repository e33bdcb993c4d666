-- fb-ads-sync opens its history row here, in one call: first every facebook_ads run that died
-- before closing is closed as failed (traffic_close_stale_runs), then the new row is inserted
-- with details.expires_at (now + budget + 60 s, the bound of the run and of its leases).
-- A user_id that is not in auth.users is kept in details.requested_user_id and the column stays
-- null (the foreign key would refuse the row: the caller then answers 404, not 500).
create or replace function public.fb_start_run(
  p_user_id uuid,
  p_triggered_by text,
  p_details jsonb,
  p_budget_ms int
)
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_id bigint;
  v_known boolean := p_user_id is not null
    and exists (select 1 from auth.users u where u.id = p_user_id);
begin
  -- The opened row (and the stale runs just closed) must survive a crash that follows at once.
  perform set_config('synchronous_commit', 'on', true);
  if p_budget_ms is null or p_budget_ms <= 0 then
    raise exception 'fb_start_run: p_budget_ms must be > 0' using errcode = '22023';
  end if;
  perform public.traffic_close_stale_runs('facebook_ads', 'fb-ads-sync');
  insert into public.traffic_sync_history (sync_type, started_at, user_id, triggered_by, details)
  values ('facebook_ads', clock_timestamp(), case when v_known then p_user_id end,
    p_triggered_by,
    coalesce(p_details, '{}') || jsonb_build_object(
      'expires_at', clock_timestamp() + make_interval(secs => p_budget_ms / 1000.0 + 60))
      || case when p_user_id is not null and not v_known
           then jsonb_build_object('requested_user_id', p_user_id) else '{}' end)
  returning id into v_id;
  return v_id;
end
$$;
comment on function public.fb_start_run(uuid, text, jsonb, int) is
  'Opens a facebook_ads traffic_sync_history row (details.expires_at = now + budget + 60 s) after '
  'closing the facebook_ads runs that died open; an unknown user_id goes to '
  'details.requested_user_id. Returns the row id. fb-ads-sync only (service_role).';
revoke all on function public.fb_start_run(uuid, text, jsonb, int) from public, anon, authenticated;
grant execute on function public.fb_start_run(uuid, text, jsonb, int) to service_role;
