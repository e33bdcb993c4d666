-- traffic-api's change log (private.traffic_api_note_team_change, migration 20261208034300): a
-- statement that changed no row logs no change; before, it logged users '{}', which every admin's
-- cache check counts (review R11 L2: each no-op fb re-sync page emptied every admin's kept
-- bodies). A statement writing rows of no team still logs '{}', a team's rows their user_ids.
begin;
select plan(7);
select tests.create_fixture();

create temporary table logged (what text, users uuid[], n bigint) on commit drop;
create function pg_temp.log_of(p_what text, p_sql text) returns void language plpgsql as $$
begin
  delete from private.traffic_api_changes where xid = pg_current_xact_id();
  execute p_sql;
  insert into logged
  select p_what, (select c.users from private.traffic_api_changes c
                  where c.xid = pg_current_xact_id()),
    (select count(*) from private.traffic_api_changes c where c.xid = pg_current_xact_id());
end
$$;

select pg_temp.log_of('insert none',
  $$insert into public.traffic_leads (amocrm_lead_id, user_id, created_at)
    select 1, null, now() where false$$);
select pg_temp.log_of('update none', $$update public.traffic_leads set user_id = user_id where false$$);
select pg_temp.log_of('delete none', $$delete from public.traffic_sales where false$$);
select pg_temp.log_of('upsert, nothing changed',
  $$insert into public.traffic_leads (amocrm_lead_id, user_id, created_at)
    values (990000001, tests.uid('a'), '2000-01-01')
    on conflict (amocrm_lead_id) do update set user_id = excluded.user_id
    where public.traffic_leads.user_id is distinct from excluded.user_id$$);
select pg_temp.log_of('no team''s row',
  $$update public.traffic_leads set created_at = created_at where amocrm_lead_id = 990000003$$);
select pg_temp.log_of('a team''s row',
  $$update public.traffic_leads set created_at = created_at where amocrm_lead_id = 990000001$$);

select is((select n from logged where what = 'insert none'), 0::bigint,
  'an insert of no row logs no change');
select is((select n from logged where what = 'update none'), 0::bigint,
  'an update of no row logs no change');
select is((select n from logged where what = 'delete none'), 0::bigint,
  'a delete of no row logs no change');
select is((select n from logged where what = 'upsert, nothing changed'), 0::bigint,
  'an upsert that changed nothing (a no-op sync page''s statement) logs no change');
select is((select users from logged where what = 'no team''s row'), '{}'::uuid[],
  'a row of no team: logged with no team (admins'' answers read it)');
select is((select users from logged where what = 'a team''s row'), array[tests.uid('a')],
  'a team''s row: logged with its team');

-- What an admin's check sees after a no-op statement: nothing new.
delete from private.traffic_api_changes where xid = pg_current_xact_id();
update public.traffic_sales set status = status where false;
select is(
  (select count(*) from private.traffic_api_changes where xid = pg_current_xact_id()), 0::bigint,
  'so an admin''s check finds no change after it');

select * from finish();
rollback;
