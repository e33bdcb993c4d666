-- The per-day totals' triggers are static SQL (issue 11 item 1's hot path; item 2's step 4).
--
-- Before (20261207113500): one generic trigger function, private.traffic_day_totals_note(totals,
-- keys, vals), built its INSERT with format() and ran it with EXECUTE on every statement of the
-- four rollups, so the statement was parsed and planned per write (+~0.2 ms per lead-insert
-- statement, measured then).
--
-- Now each totals table has its own trigger function, private.<totals>_note() (e.g.
-- private.traffic_leads_day_totals_note), whose statements are plain SQL, planned once per session
-- like any PL/pgSQL statement. They are GENERATED from the one source list,
-- private.traffic_day_totals_sources() (source rollup, totals table, key columns, summed columns),
-- by private.traffic_day_totals_make_triggers() (run below; run it again after a change of the
-- list), so that list stays the one definition: the same statement as before for
-- each source (new rows +1, old rows -1, summed per key, keys whose sums are all zero left out; a
-- fold of the rollups changes nothing; a TRUNCATE empties the totals). The triggers are re-created
-- on the new functions under the same names, and the generic function is dropped.

create or replace function private.traffic_day_totals_make_triggers()
returns int
language plpgsql
security definer
set search_path = ''
as $$
declare
  s record;
  e text;
  v_fn text;
  v_insert text;
begin
  for s in select * from private.traffic_day_totals_sources() loop
    v_fn := s.totals || '_note';
    -- {rows}: the statement's rows with their sign.
    v_insert := format(
      'insert into private.%I (%s, %s) select %s, %s from ({rows}) as r group by %s having %s',
      s.totals, s.keys, replace(s.vals, ',', ', '), s.keys,
      (select string_agg(format('sum(r.sign * r.%I)', v), ', ')
       from unnest(string_to_array(s.vals, ',')) as v),
      s.keys,
      (select string_agg(format('sum(r.sign * r.%I) <> 0', v), ' or ')
       from unnest(string_to_array(s.vals, ',')) as v));
    execute format($f$
create or replace function private.%1$I()
returns trigger
language plpgsql
security definer
set search_path = ''
as $body$
begin
  if tg_op = 'TRUNCATE' then
    truncate private.%2$I;
    return null;
  end if;
  -- A fold of the lead / sale rollups replaces a key's rows by their sum: no sum changes.
  if current_setting('traffic.rollup_folding', true) = 'on' then
    return null;
  end if;
  if tg_op = 'INSERT' then
    %3$s;
  elsif tg_op = 'DELETE' then
    %4$s;
  else
    %5$s;
  end if;
  return null;
end
$body$
$f$,
      v_fn, s.totals,
      replace(v_insert, '{rows}', 'select n.*, 1 as sign from new_rows n'),
      replace(v_insert, '{rows}', 'select o.*, -1 as sign from old_rows o'),
      replace(v_insert, '{rows}',
        'select n.*, 1 as sign from new_rows n union all select o.*, -1 from old_rows o'));
    execute format('comment on function private.%I() is %L', v_fn,
      format('Statement trigger (transition tables) of public.%s: appends to private.%s one '
        'delta row per key the statement changed (new minus old rows, summed over users); '
        'nothing for a fold of the rollups; a TRUNCATE empties the totals. Generated from '
        'private.traffic_day_totals_sources() by private.traffic_day_totals_make_triggers().',
        s.source, s.totals));
    execute format('revoke all on function private.%I() from public, anon, authenticated, '
      'service_role', v_fn);

    foreach e in array array['insert', 'update', 'delete', 'truncate'] loop
      execute format('drop trigger if exists day_totals_%s on public.%I', e, s.source);
      execute format('create trigger day_totals_%1$s after %1$s on public.%2$I %3$s '
        'for each statement execute function private.%4$I()',
        e, s.source,
        case e when 'insert' then 'referencing new table as new_rows'
          when 'delete' then 'referencing old table as old_rows'
          when 'update' then 'referencing old table as old_rows new table as new_rows'
          else '' end,
        v_fn);
    end loop;
  end loop;
  return (select count(*)::int from private.traffic_day_totals_sources());
end
$$;
comment on function private.traffic_day_totals_make_triggers() is
  'Generates the static statement trigger function private.<totals>_note() of each per-day totals '
  'table and (re)creates the day_totals_* triggers of its source rollup on it, from '
  'private.traffic_day_totals_sources(). Returns the number of sources.';
revoke all on function private.traffic_day_totals_make_triggers()
  from public, anon, authenticated, service_role;

select private.traffic_day_totals_make_triggers();
drop function private.traffic_day_totals_note();
