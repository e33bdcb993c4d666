-- Stores one webhook body before anything else happens to it. A body delivered again (AmoCRM
-- retries, a replayed request) has the same SHA-256 and is not stored twice: the caller gets the
-- existing row's id with duplicate = true.
create or replace function public.amocrm_ingest_event(
  p_raw_body text,
  p_content_type text,
  p_sha256 text,
  p_payload jsonb,
  p_account_id text,
  p_subdomain text,
  p_event_count int
)
returns table (event_id bigint, duplicate boolean)
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_raw_body is null or p_sha256 is null then
    raise exception 'amocrm_ingest_event: p_raw_body and p_sha256 are required'
      using errcode = '22023';
  end if;
  -- The hash is the dedupe key: check it is the body's, so a caller bug cannot merge two bodies.
  if lower(p_sha256) <> encode(pg_catalog.sha256(convert_to(p_raw_body, 'UTF8')), 'hex') then
    raise exception 'amocrm_ingest_event: p_sha256 is not the SHA-256 of p_raw_body'
      using errcode = '22023';
  end if;

  insert into public.traffic_amocrm_events as e
    (raw_body, content_type, body_sha256, payload, account_id, account_subdomain, event_count)
  values (p_raw_body, p_content_type, lower(p_sha256), p_payload, p_account_id, p_subdomain,
    coalesce(p_event_count, 0))
  on conflict (body_sha256) do nothing
  returning e.id into event_id;

  duplicate := event_id is null;
  if duplicate then
    select e.id into event_id
    from public.traffic_amocrm_events e
    where e.body_sha256 = lower(p_sha256);
  end if;
  return next;
end
$$;
comment on function public.amocrm_ingest_event(text, text, text, jsonb, text, text, int) is
  'Stores an AmoCRM webhook body (raw text + parsed payload) once per SHA-256. Returns its '
  'event id and whether it was already stored. Processing is amocrm_process_event().';
revoke all on function public.amocrm_ingest_event(text, text, text, jsonb, text, text, int)
  from public, anon, authenticated;
grant execute on function public.amocrm_ingest_event(text, text, text, jsonb, text, text, int)
  to service_role;
