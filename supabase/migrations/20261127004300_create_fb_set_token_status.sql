-- fb-ads-sync records what Meta said about a user's own token: 'invalid' after code 190/102
-- (the user must set a new one; the sync skips them until then), 'ok' after it worked again.
-- The caller names the token by its SHA-256, so a verdict on a token the user has just replaced
-- is dropped instead of flagging the new one (and the token never travels back to the database).
create or replace function public.fb_set_token_status(
  p_user_id uuid,
  p_token_sha256 text,
  p_status text
)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_status is null or p_status not in ('ok', 'invalid') then
    raise exception 'fb_set_token_status: p_status must be ''ok'' or ''invalid'''
      using errcode = '22023';
  end if;
  update public.traffic_targetologist_settings s
     set facebook_token_status = p_status,
         facebook_token_status_at = now()
   where s.user_id = p_user_id
     and s.facebook_access_token is not null
     and encode(sha256(convert_to(s.facebook_access_token, 'UTF8')), 'hex') = lower(p_token_sha256)
     and s.facebook_token_status is distinct from p_status;
  return found;
end
$$;
comment on function public.fb_set_token_status(uuid, text, text) is
  'Sets facebook_token_status (''ok''/''invalid'') and facebook_token_status_at for p_user_id when '
  'the stored token''s SHA-256 (hex) is p_token_sha256 and the status changes; true when it did.';
revoke all on function public.fb_set_token_status(uuid, text, text)
  from public, anon, authenticated;
grant execute on function public.fb_set_token_status(uuid, text, text) to service_role;
