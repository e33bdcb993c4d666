-- Keeps a body that reached the webhook with the right secret but that Postgres text cannot
-- hold (a NUL byte, invalid UTF-8): the exact bytes go in raw_body as base64
-- (raw_body_encoding = 'base64'), status 'rejected' with the reason, answered 400. Like
-- amocrm_reject_event(): never replayed, stored once per body (body_sha256 = SHA-256 of the bytes).
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
  v_id bigint;
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
  insert into public.traffic_amocrm_events as e
    (raw_body, raw_body_encoding, content_type, body_sha256, payload, status, error, processed_at)
  values (encode(v_bytes, 'base64'), 'base64', left(p_content_type, 200), lower(p_sha256), null,
    'rejected', left(coalesce(p_error, 'body cannot be stored as text'), 2000), now())
  on conflict (body_sha256) do nothing
  returning e.id into v_id;
  if v_id is null then
    select e.id into v_id from public.traffic_amocrm_events e
    where e.body_sha256 = lower(p_sha256);
  end if;
  return v_id;
end
$$;
comment on function public.amocrm_reject_undecodable_event(text, text, text, text) is
  'Keeps a webhook body text cannot hold (NUL byte, invalid UTF-8) as base64 '
  '(raw_body_encoding base64, status rejected, with the reason); returns its id.';
revoke all on function public.amocrm_reject_undecodable_event(text, text, text, text)
  from public, anon, authenticated;
grant execute on function public.amocrm_reject_undecodable_event(text, text, text, text)
  to service_role;
