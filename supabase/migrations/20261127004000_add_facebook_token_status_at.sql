-- When fb-ads-sync last set facebook_token_status ('ok' after a token worked, 'invalid' after
-- Meta rejected it with code 190/102). The dashboard and `npm run status` read both columns.
alter table public.traffic_targetologist_settings
  add column if not exists facebook_token_status_at timestamptz;

comment on column public.traffic_targetologist_settings.facebook_token_status_at is
  'When fb-ads-sync last changed facebook_token_status (set by public.fb_set_token_status()).';

-- Readable like facebook_token_status; written by the service only.
grant select (facebook_token_status_at)
  on table public.traffic_targetologist_settings to authenticated;
