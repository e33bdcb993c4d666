-- A body that reached the webhook with the right secret but is not a valid AmoCRM webhook is
-- answered 400, and kept: status 'rejected', with the parser's reason, so nothing that arrived
-- is lost and a person can look at it. Replays never pick rejected bodies up (there is nothing
-- to apply); a duplicate body is stored once, like any other.
create or replace function public.amocrm_reject_event(
  p_raw_body text,
  p_content_type text,
  p_sha256 text,
  p_error text
)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_id bigint;
begin
  if p_raw_body is null or p_sha256 is null
    or lower(p_sha256) <> encode(pg_catalog.sha256(convert_to(p_raw_body, 'UTF8')), 'hex') then
    raise exception 'amocrm_reject_event: p_sha256 must be the SHA-256 of p_raw_body'
      using errcode = '22023';
  end if;
  insert into public.traffic_amocrm_events as e
    (raw_body, content_type, body_sha256, payload, status, error, processed_at)
  values (p_raw_body, p_content_type, lower(p_sha256), null, 'rejected',
    left(coalesce(p_error, 'not a valid AmoCRM webhook body'), 2000), now())
  on conflict (body_sha256) do nothing
  returning e.id into v_id;
  if v_id is null then
    select e.id into v_id from public.traffic_amocrm_events e
    where e.body_sha256 = lower(p_sha256);
  end if;
  return v_id;
end
$$;
comment on function public.amocrm_reject_event(text, text, text, text) is
  'Keeps a webhook body that failed to parse (status rejected, with the reason); returns its id.';
revoke all on function public.amocrm_reject_event(text, text, text, text)
  from public, anon, authenticated;
grant execute on function public.amocrm_reject_event(text, text, text, text) to service_role;
