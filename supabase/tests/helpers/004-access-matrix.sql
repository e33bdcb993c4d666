-- The access matrix of a table clients only read (anon, user A, user B, admin, service_role) x
-- (select, insert, update, delete): anon has no grant at all; a user reads their own rows only; an
-- admin reads every row; none of them writes; service_role reads and writes everything. One
-- definition for the tables that share that rule (030, 040, 050, 090, 100); 22 assertions.

begin;

create or replace function tests.read_only_access_matrix(
  p_table text,       -- e.g. 'public.traffic_leads'
  p_scope text,       -- what selects the fixture's rows, e.g. 'amocrm_lead_id between 1 and 9'
  p_insert text,      -- an insert of one more row inside p_scope
  p_update_set text,  -- the SET list of an update, e.g. 'is_deleted = true'
  p_a int,            -- rows of user A in p_scope
  p_b int,            -- rows of user B in p_scope
  p_all int           -- every row in p_scope
)
returns setof text
language plpgsql
as $$
declare
  v_count text := format('select count(*)::int from %s where %s', p_table, p_scope);
  v_update text := format('update %s set %s where %s', p_table, p_update_set, p_scope);
  v_delete text := format('delete from %s where %s', p_table, p_scope);
  v_who text;
begin
  -- anon: no grant at all
  perform tests.authenticate_as_anon();
  return next throws_ok(format('select * from %s', p_table), '42501', null,
    'anon: select denied');
  return next throws_ok(p_insert, '42501', null, 'anon: insert denied');
  return next throws_ok(v_update, '42501', null, 'anon: update denied');
  return next throws_ok(v_delete, '42501', null, 'anon: delete denied');

  -- users A and B: read their own rows only, write nothing
  foreach v_who in array array['a', 'b'] loop
    perform tests.authenticate_as(tests.uid(v_who));
    return next is(tests.scalar_int(v_count), case v_who when 'a' then p_a else p_b end,
      format('%s: select sees own %s row(s)', upper(v_who),
        case v_who when 'a' then p_a else p_b end));
    return next is(tests.scalar_int(format('%s and user_id is distinct from %L', v_count,
      tests.uid(v_who))), 0, format('%s: select sees no one else''s rows', upper(v_who)));
    return next throws_ok(p_insert, '42501', null, upper(v_who) || ': insert denied');
    return next throws_ok(v_update, '42501', null, upper(v_who) || ': update denied');
    return next throws_ok(v_delete, '42501', null, upper(v_who) || ': delete denied');
  end loop;

  -- admin: reads every row, writes nothing
  perform tests.authenticate_as(tests.uid('admin'), true);
  return next is(tests.scalar_int(v_count), p_all, format('admin: select sees all %s rows', p_all));
  return next throws_ok(p_insert, '42501', null, 'admin: insert denied');
  return next throws_ok(v_update, '42501', null, 'admin: update denied');
  return next throws_ok(v_delete, '42501', null, 'admin: delete denied');

  -- service_role: full access (bypasses RLS)
  perform tests.authenticate_as_service_role();
  return next is(tests.scalar_int(v_count), p_all,
    format('service_role: select sees all %s rows', p_all));
  return next lives_ok(p_insert, 'service_role: insert allowed');
  return next is(tests.row_count(v_update), p_all + 1, 'service_role: update allowed');
  return next is(tests.row_count(v_delete), p_all + 1, 'service_role: delete allowed');
end
$$;
comment on function tests.read_only_access_matrix(text, text, text, text, int, int, int) is
  'The 22 assertions of a client-read-only table''s access matrix (anon, A, B, admin, '
  'service_role x select, insert, update, delete), as TAP lines.';

-- Acts as one of the fixture's callers by name: 'anon', 'service_role', 'admin' (the fixture's
-- admin) or a fixture user ('a', 'b'). Returns the name the access tests' descriptions use.
create or replace function tests.act_as(p_who text)
returns text
language plpgsql
as $$
begin
  case p_who
    when 'anon' then perform tests.authenticate_as_anon();
    when 'service_role' then perform tests.authenticate_as_service_role();
    when 'admin' then perform tests.authenticate_as(tests.uid('admin'), true);
    else perform tests.authenticate_as(tests.uid(p_who));
  end case;
  return case when p_who in ('anon', 'service_role', 'admin') then p_who else upper(p_who) end;
end
$$;
comment on function tests.act_as(text) is
  'Acts as anon, service_role, admin or a fixture user by name; returns its label (A for a).';

-- The same checks for several callers (an access matrix's rows that share one rule): for each
-- caller in p_who, acts as it and runs each of p_checks (a query returning one TAP line), with
-- {who} replaced by the caller's label. TAP lines in order: caller by caller, check by check.
create or replace function tests.as_each(p_who text[], variadic p_checks text[])
returns setof text
language plpgsql
as $$
declare
  v_who text;
  v_label text;
  v_check text;
  v_line text;
begin
  foreach v_who in array p_who loop
    v_label := tests.act_as(v_who);
    foreach v_check in array p_checks loop
      execute replace(v_check, '{who}', v_label) into v_line;
      return next v_line;
    end loop;
  end loop;
end
$$;
comment on function tests.as_each(text[], text[]) is
  'For each caller of p_who (tests.act_as), runs each check of p_checks ({who}: its label) and '
  'returns the TAP lines in order.';

-- The int a query returns, run as the current role.
create or replace function tests.scalar_int(p_sql text)
returns int
language plpgsql
as $$
declare
  v_n int;
begin
  execute p_sql into v_n;
  return v_n;
end
$$;
comment on function tests.scalar_int(text) is 'Runs p_sql as the current role; returns its int.';

grant execute on all functions in schema tests to anon, authenticated, service_role;

commit;
