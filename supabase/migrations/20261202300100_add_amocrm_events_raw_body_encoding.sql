-- A webhook body Postgres `text` cannot hold as it came (a NUL byte, bytes that are not UTF-8)
-- is still kept: raw_body then holds the exact bytes in base64 and raw_body_encoding says so.
-- body_sha256 is always the SHA-256 of the bytes received, whichever encoding stores them, so a
-- redelivered body dedupes the same way in both cases.
alter table public.traffic_amocrm_events
  add column raw_body_encoding text not null default 'utf8'
    check (raw_body_encoding in ('utf8', 'base64'));

comment on column public.traffic_amocrm_events.raw_body_encoding is
  'utf8: raw_body is the body as received; base64: raw_body is the received bytes in base64 '
  '(a body with a NUL byte or invalid UTF-8, which text cannot hold; always status rejected). '
  'decode(raw_body, ''base64'') gives the bytes back.';
