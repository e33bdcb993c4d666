-- traffic-api's change log: a statement that changed no row logs no change (review R11 L2).
--
-- Before: private.traffic_api_note_team_change (20261207114917), the statement trigger of the
-- per-team tables traffic-api reads, logged the transaction with users '{}' when its transition
-- tables were empty. fb_upsert_insights' INSERT ... ON CONFLICT fires the raw table's insert and
-- update statement triggers on every page, so a re-sync that changes nothing (the hourly cron's
-- usual case) left a '{}' row per page; a targetologist's check ignores it, but an admin's counts
-- every change row (policy traffic_api_changes_caller_reads, 20261208030500), so each no-op sync
-- made every admin's kept bodies recompute (the admin over 1,000 teams: the costliest).
--
-- Now it returns at once when the statement changed no row (counted in the same pass that
-- collects the user_ids: no extra scan of the transition tables). '{}' keeps its meaning: rows
-- were written, of no team (an unattributed lead or sale), which admins' answers read.
-- pgTAP 285 pins both.
create or replace function private.traffic_api_note_team_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_rows bigint;
  v_users uuid[];
begin
  if tg_op = 'INSERT' then
    select count(*),
      coalesce(array_agg(distinct n.user_id) filter (where n.user_id is not null), '{}')
    into v_rows, v_users from new_rows n;
  elsif tg_op = 'DELETE' then
    select count(*),
      coalesce(array_agg(distinct o.user_id) filter (where o.user_id is not null), '{}')
    into v_rows, v_users from old_rows o;
  else
    select count(*),
      coalesce(array_agg(distinct r.user_id) filter (where r.user_id is not null), '{}')
    into v_rows, v_users
    from (select n.user_id from new_rows n union all select o.user_id from old_rows o) as r;
  end if;
  -- Nothing changed: nothing any answer reads changed.
  if v_rows = 0 then
    return null;
  end if;
  insert into private.traffic_api_changes as c (xid, users)
  values (pg_current_xact_id(), v_users)
  on conflict (xid) do update
    set users = array(select distinct u from unnest(c.users || excluded.users) as u)
    -- Nothing to add when the row is global already, or holds these teams.
    where c.users is not null and not (c.users @> excluded.users);
  return null;
end
$$;
comment on function private.traffic_api_note_team_change() is
  'Statement trigger (transition tables) of the per-team tables traffic-api reads: records the '
  'current transaction with the user_ids of the rows the statement wrote (old and new; ''{}'': '
  'rows of no team); a statement that changed no row records nothing.';
revoke all on function private.traffic_api_note_team_change()
  from public, anon, authenticated, service_role;
