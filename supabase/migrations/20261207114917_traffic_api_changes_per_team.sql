-- traffic-api's response cache is invalidated per team (issue 11 item 2).
--
-- Before: the change log (private.traffic_api_changes, 20261207004700 / 023205) held one row per
-- writing transaction and traffic_api_changed_since() answered "changed" to every caller when any
-- transaction had written: a webhook of team A made every cached body of team B a miss, and on a
-- busy day that is every body.
--
-- Now a change row also says WHICH teams the transaction wrote: `users` is the user_ids of the
-- rows it inserted, updated (old and new) or deleted in the per-team tables (the raw ad rows,
-- leads, sales, stored metrics rows, settings), or null when it wrote something every answer may
-- depend on (exchange rates, the Meta-lead settings of an account, a TRUNCATE). A row's users only
-- grow within its transaction (a later global write makes it null). Rows of no team (unattributed
-- leads and sales, the team-total metrics rows) leave an empty array: they change only what an
-- admin sees.
--
-- traffic_api_changed_since() asks for the caller: an admin (or the service role) is answered
-- "changed" by any change, as before; a targetologist only by a change of their own team or a
-- global one. A targetologist's answers read only their own team's rows (RLS) plus rates and lead
-- settings, so nothing else can change them.
--
-- The per-team tables' statement triggers now come with transition tables (one per event, as
-- PostgreSQL requires); the global tables keep private.traffic_api_note_change(), which now marks
-- its row global.

alter table private.traffic_api_changes add column users uuid[];
comment on column private.traffic_api_changes.users is
  'The teams (user_ids) whose rows the transaction wrote; null: a write every answer may depend on '
  '(rates, Meta-lead settings, a truncate); empty: only rows of no team (admins'' answers).';

-- Global writes (and truncates): the transaction's row becomes global.
create or replace function private.traffic_api_note_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_xid text := pg_current_xact_id()::text;
begin
  -- Once per transaction: once global, a row stays global. The mark is transaction-local and
  -- undone with a rolled-back subtransaction, together with its row.
  if current_setting('traffic.api_change_noted', true) is distinct from v_xid then
    insert into private.traffic_api_changes (xid, users) values (v_xid::xid8, null)
    on conflict (xid) do update set users = null;
    perform set_config('traffic.api_change_noted', v_xid, true);
  end if;
  return null;
end
$$;
comment on function private.traffic_api_note_change() is
  'Statement trigger of the tables every traffic-api answer may depend on (rates, Meta-lead '
  'settings) and of truncates: records that the current transaction changed data for every team.';
revoke all on function private.traffic_api_note_change()
  from public, anon, authenticated, service_role;

-- Per-team writes: the user_ids of the statement's rows join the transaction's row.
create or replace function private.traffic_api_note_team_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_users uuid[];
begin
  if tg_op = 'INSERT' then
    select coalesce(array_agg(distinct n.user_id) filter (where n.user_id is not null), '{}')
    into v_users from new_rows n;
  elsif tg_op = 'DELETE' then
    select coalesce(array_agg(distinct o.user_id) filter (where o.user_id is not null), '{}')
    into v_users from old_rows o;
  else
    select coalesce(array_agg(distinct r.user_id) filter (where r.user_id is not null), '{}')
    into v_users
    from (select n.user_id from new_rows n union all select o.user_id from old_rows o) as r;
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
  'current transaction with the user_ids of the rows the statement wrote (old and new).';
revoke all on function private.traffic_api_note_team_change()
  from public, anon, authenticated, service_role;

do $$
declare
  t text;
begin
  foreach t in array array['traffic_aggregated_metrics', 'traffic_targetologist_settings',
    'traffic_facebook_ads_raw', 'traffic_leads', 'traffic_sales']
  loop
    execute format('drop trigger traffic_api_change on public.%I', t);
    execute format('create trigger traffic_api_change_insert after insert on public.%I '
      'referencing new table as new_rows for each statement '
      'execute function private.traffic_api_note_team_change()', t);
    execute format('create trigger traffic_api_change_update after update on public.%I '
      'referencing old table as old_rows new table as new_rows for each statement '
      'execute function private.traffic_api_note_team_change()', t);
    execute format('create trigger traffic_api_change_delete after delete on public.%I '
      'referencing old table as old_rows for each statement '
      'execute function private.traffic_api_note_team_change()', t);
  end loop;
end
$$;

create or replace function public.traffic_api_changed_since(p_snapshot text default null)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'changed', p_snapshot is null
      -- Older than the pruned bound: rows it would need may be gone.
      or pg_snapshot_xmin(p_snapshot::pg_snapshot)
        < (select h.pruned_below from private.traffic_api_changes_horizon h)
      or exists (
        select 1
        from private.traffic_api_changes c
        where c.xid >= pg_snapshot_xmin(p_snapshot::pg_snapshot)
          and not pg_visible_in_snapshot(c.xid, p_snapshot::pg_snapshot)
          -- A targetologist's answers change only with their own team's rows or a global write;
          -- an admin's (and a service caller's) with any. (Security definer: the caller is the
          -- request's JWT.)
          and (c.users is null
            or coalesce(auth.role(), '') <> 'authenticated'
            or coalesce(private.is_admin(), false)
            or auth.uid() = any (c.users))),
    'snapshot', pg_current_snapshot()::text)
$$;
comment on function public.traffic_api_changed_since(text) is
  'traffic-api''s cache check: {changed: whether a transaction outside p_snapshot (a '
  'pg_current_snapshot() text from an earlier call; null, or one older than the pruned bound = '
  'always true) changed data the caller''s answers read (a targetologist: their own team''s rows '
  'or a global write; an admin: anything), snapshot: the current snapshot}. Reveals no data.';
revoke all on function public.traffic_api_changed_since(text) from public, anon;
grant execute on function public.traffic_api_changed_since(text) to authenticated, service_role;
