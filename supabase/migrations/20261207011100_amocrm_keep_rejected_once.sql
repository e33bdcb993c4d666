-- A rejected webhook body is kept in one place (issue 16): amocrm_reject_event (text bodies) and
-- amocrm_reject_undecodable_event (bytes kept as base64) each wrote the same insert into
-- traffic_amocrm_events with the same "already kept? then its id" fallback; both now check their
-- own input as before and call private.amocrm_keep_rejected. Answers, errors and rows are
-- unchanged (20261127003800_create_amocrm_reject_event.sql,
-- 20261202300200_create_amocrm_reject_undecodable_event.sql).
create or replace function private.amocrm_keep_rejected(
  p_raw_body text,
  p_encoding text,
  p_content_type text,
  p_sha256 text,
  p_error text
)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  v_id bigint;
begin
  insert into public.traffic_amocrm_events as e
    (raw_body, raw_body_encoding, content_type, body_sha256, payload, status, error, processed_at)
  values (p_raw_body, p_encoding, p_content_type, lower(p_sha256), null, 'rejected',
    left(p_error, 2000), now())
  on conflict (body_sha256) do nothing
  returning e.id into v_id;
  if v_id is null then
    select e.id into v_id from public.traffic_amocrm_events e
    where e.body_sha256 = lower(p_sha256);
  end if;
  return v_id;
end
$$;
comment on function private.amocrm_keep_rejected(text, text, text, text, text) is
  'Keeps a webhook body that will not be processed (status rejected, the error cut at 2,000 '
  'characters), once per SHA-256; returns its traffic_amocrm_events id, the earlier one for a '
  'body kept before. Callers check that p_sha256 is the body''s.';
revoke all on function private.amocrm_keep_rejected(text, text, text, text, text)
  from public, anon, authenticated, service_role;

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
begin
  if p_raw_body is null or p_sha256 is null
    or lower(p_sha256) <> encode(pg_catalog.sha256(convert_to(p_raw_body, 'UTF8')), 'hex') then
    raise exception 'amocrm_reject_event: p_sha256 must be the SHA-256 of p_raw_body'
      using errcode = '22023';
  end if;
  return private.amocrm_keep_rejected(p_raw_body, 'utf8', p_content_type, p_sha256,
    coalesce(p_error, 'not a valid AmoCRM webhook body'));
end
$$;

create or replace function public.amocrm_reject_undecodable_event(
  p_body_base64 text,
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
  v_bytes bytea;
begin
  begin
    v_bytes := decode(p_body_base64, 'base64');
  exception when others then
    raise exception 'amocrm_reject_undecodable_event: p_body_base64 is not base64'
      using errcode = '22023';
  end;
  if v_bytes is null or p_sha256 is null
    or lower(p_sha256) <> encode(pg_catalog.sha256(v_bytes), 'hex') then
    raise exception 'amocrm_reject_undecodable_event: p_sha256 must be the SHA-256 of the bytes'
      using errcode = '22023';
  end if;
  return private.amocrm_keep_rejected(encode(v_bytes, 'base64'), 'base64',
    left(p_content_type, 200), p_sha256, coalesce(p_error, 'body cannot be stored as text'));
end
$$;
