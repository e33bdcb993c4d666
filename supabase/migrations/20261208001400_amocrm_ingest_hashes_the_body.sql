-- amocrm_ingest_event computes the body's SHA-256 itself when the caller sends none (issue 11
-- item 1: the webhook's CPU per request). The dedupe key is the same as before, the lowercase hex
-- SHA-256 of the body's UTF-8 text, which this function already computed on every call to check
-- the caller's hash; the webhook function now sends p_sha256 null and no longer hashes each body
-- in Deno (WebCrypto) as well. A hash that is given is still checked against the body (a caller
-- bug cannot merge two bodies). amocrm_receive_event passes its p_sha256 through unchanged, so it
-- takes a null too. Otherwise the definition of 20261127003100_create_amocrm_ingest_event.sql (same
-- signature, grants; the comment says the hash may be left out).

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
declare
  v_sha256 text;
begin
  if p_raw_body is null then
    raise exception 'amocrm_ingest_event: p_raw_body is required' using errcode = '22023';
  end if;
  v_sha256 := encode(pg_catalog.sha256(convert_to(p_raw_body, 'UTF8')), 'hex');
  -- The hash is the dedupe key: a given one must be the body's, so a caller bug cannot merge two
  -- bodies.
  if p_sha256 is not null and lower(p_sha256) <> v_sha256 then
    raise exception 'amocrm_ingest_event: p_sha256 is not the SHA-256 of p_raw_body'
      using errcode = '22023';
  end if;

  insert into public.traffic_amocrm_events as e
    (raw_body, content_type, body_sha256, payload, account_id, account_subdomain, event_count)
  values (p_raw_body, p_content_type, v_sha256, p_payload, p_account_id, p_subdomain,
    coalesce(p_event_count, 0))
  on conflict (body_sha256) do nothing
  returning e.id into event_id;

  duplicate := event_id is null;
  if duplicate then
    select e.id into event_id
    from public.traffic_amocrm_events e
    where e.body_sha256 = v_sha256;
  end if;
  return next;
end
$$;
comment on function public.amocrm_ingest_event(text, text, text, jsonb, text, text, int) is
  'Stores an AmoCRM webhook body (raw text + parsed payload) once per SHA-256 of its UTF-8 text, '
  'computed here (p_sha256 may be null; a given one must be the body''s). Returns its event id '
  'and whether it was already stored. Processing is amocrm_process_event().';
