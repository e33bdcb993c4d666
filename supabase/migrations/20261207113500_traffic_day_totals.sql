-- Issue 11 item 2: an admin's GET /daily (and the team total of /metrics/range) summed every
-- team's rollup rows of the range per request: 1,000 teams x 30 days of traffic_spend_daily and
-- the leads of the range row by row (~25k + ~25k rows at a year's volume, 130-230 ms), so a cache
-- miss grew with the data. The per-day sums over every user are now kept as they are written:
--
--   private.traffic_spend_day_totals      (stat_date, account_currency) <- traffic_spend_daily
--   private.traffic_meta_leads_day_totals (stat_date)                   <- traffic_meta_leads_daily
--   private.traffic_leads_day_totals      (day)                         <- traffic_leads_daily
--   private.traffic_sales_day_totals      (day)                         <- traffic_sales_daily
--
-- Each holds the SUM of its source's columns over every user_id (the unattributed rollup rows,
-- user_id null, included), per key. Like the lead rollups they are append-only: a statement
-- trigger on the source appends ONE delta row per key the statement changed (new rows minus old
-- rows, grouped; a key whose delta is zero appends nothing), so concurrent writers (webhooks, sync
-- pages) never take a common row lock; a key may hold several rows and every reader sums them.
-- private.traffic_fold_day_totals() (pg_cron traffic-fold-day-totals, every minute) replaces the
-- rows of each key that has several by one holding exactly the sum of the rows it deleted.
-- The fold of the lead / sale rollups (traffic.rollup_folding on) changes no sum: nothing is
-- appended for it. A TRUNCATE of a source empties its totals (the rebuilds truncate, then insert:
-- the inserts append again).
--
-- A reader gets the sum over the active targetologists (what the routes cover) as the total minus
-- the rows of the users who are not active members (private.traffic_day_total_others(): every
-- user of auth.users without an active settings row; a few, read by the (user_id, day) keys).
-- Only admins (RLS) and the service role read these tables.

create table private.traffic_spend_day_totals (
  stat_date date not null,
  account_currency text not null,
  spend numeric not null default 0,
  impressions bigint not null default 0,
  clicks bigint not null default 0,
  reach bigint not null default 0
);
create index traffic_spend_day_totals_key_idx
  on private.traffic_spend_day_totals (stat_date, account_currency);

create table private.traffic_meta_leads_day_totals (
  stat_date date not null,
  meta_leads numeric not null default 0
);
create index traffic_meta_leads_day_totals_key_idx
  on private.traffic_meta_leads_day_totals (stat_date);

create table private.traffic_leads_day_totals (
  day date not null,
  leads bigint not null default 0,
  challenge3d_leads bigint not null default 0,
  express_leads bigint not null default 0,
  intensive1d_leads bigint not null default 0
);
create index traffic_leads_day_totals_key_idx on private.traffic_leads_day_totals (day);

create table private.traffic_sales_day_totals (
  day date not null,
  challenge3d_prepayments bigint not null default 0,
  challenge3d_prepayment_revenue numeric not null default 0,
  challenge3d_full_payments bigint not null default 0,
  challenge3d_full_revenue numeric not null default 0,
  express_sales bigint not null default 0,
  express_revenue numeric not null default 0,
  intensive1d_sales bigint not null default 0,
  intensive1d_revenue numeric not null default 0
);
create index traffic_sales_day_totals_key_idx on private.traffic_sales_day_totals (day);

-- Admins read every team's sums (as they read every team's rollup rows); nobody else.
do $$
declare
  t text;
begin
  foreach t in array array['traffic_spend_day_totals', 'traffic_meta_leads_day_totals',
    'traffic_leads_day_totals', 'traffic_sales_day_totals']
  loop
    execute format('revoke all on table private.%I from public, anon, authenticated', t);
    execute format('grant select on table private.%I to authenticated, service_role', t);
    execute format('alter table private.%I enable row level security', t);
    execute format('create policy "day totals: admins read" on private.%I for select '
      'to authenticated using ((select private.is_admin()))', t);
    execute format('create policy "day totals: service reads" on private.%I for select '
      'to service_role using (true)', t);
    execute format('comment on table private.%I is %L', t,
      'Per-day sums over every user of a rollup, kept as append-only deltas by statement '
      'triggers and folded every minute (migration 20261207113500): sum the rows of a key.');
  end loop;
end
$$;

-- The statement trigger of the four sources: TG_ARGV = totals table, its key columns, its summed
-- columns (the source's columns of the same names).
create or replace function private.traffic_day_totals_note()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_keys text := tg_argv[1];
  v_vals text[] := string_to_array(tg_argv[2], ',');
  v_src text;
begin
  if tg_op = 'TRUNCATE' then
    execute format('truncate private.%I', tg_argv[0]);
    return null;
  end if;
  -- A fold of the lead / sale rollups replaces a key's rows by their sum: no sum changes.
  if current_setting('traffic.rollup_folding', true) = 'on' then
    return null;
  end if;
  v_src := case tg_op
    when 'INSERT' then 'select n.*, 1 as sign from new_rows n'
    when 'DELETE' then 'select o.*, -1 as sign from old_rows o'
    else 'select n.*, 1 as sign from new_rows n union all select o.*, -1 from old_rows o' end;
  execute format(
    'insert into private.%I (%s, %s) select %s, %s from (%s) as r group by %s having %s',
    tg_argv[0], v_keys, array_to_string(v_vals, ', '), v_keys,
    (select string_agg(format('sum(r.sign * r.%I)', v), ', ') from unnest(v_vals) as v),
    v_src, v_keys,
    (select string_agg(format('sum(r.sign * r.%I) <> 0', v), ' or ') from unnest(v_vals) as v));
  return null;
end
$$;
comment on function private.traffic_day_totals_note() is
  'Statement trigger (transition tables) of traffic_spend_daily / traffic_meta_leads_daily / '
  'traffic_leads_daily / traffic_sales_daily: appends to its per-day totals table (TG_ARGV[0]) '
  'one delta row per key the statement changed (new minus old rows, summed over users); nothing '
  'for a fold of the rollups; a TRUNCATE empties the totals.';
revoke all on function private.traffic_day_totals_note()
  from public, anon, authenticated, service_role;

-- Source -> (totals table, key columns, summed columns).
create or replace function private.traffic_day_totals_sources()
returns table (source text, totals text, keys text, vals text)
language sql
immutable
as $$
  values
    ('traffic_spend_daily', 'traffic_spend_day_totals', 'stat_date, account_currency',
     'spend,impressions,clicks,reach'),
    ('traffic_meta_leads_daily', 'traffic_meta_leads_day_totals', 'stat_date', 'meta_leads'),
    ('traffic_leads_daily', 'traffic_leads_day_totals', 'day',
     'leads,challenge3d_leads,express_leads,intensive1d_leads'),
    ('traffic_sales_daily', 'traffic_sales_day_totals', 'day',
     'challenge3d_prepayments,challenge3d_prepayment_revenue,challenge3d_full_payments,'
     'challenge3d_full_revenue,express_sales,express_revenue,intensive1d_sales,'
     'intensive1d_revenue')
$$;
comment on function private.traffic_day_totals_sources() is
  'The per-day totals tables: each source rollup, its totals table, key and summed columns (what '
  'the triggers, the rebuild and the fold of 20261207113500 are made of).';
revoke all on function private.traffic_day_totals_sources()
  from public, anon, authenticated, service_role;

-- Rebuilt from the sources (also the repair path): every row of each source, summed per key.
create or replace function private.traffic_rebuild_day_totals()
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  s record;
begin
  for s in select * from private.traffic_day_totals_sources() loop
    -- Writers of the source wait until its totals are rebuilt (their triggers would race it).
    execute format('lock table public.%I in share mode', s.source);
    execute format('truncate private.%I', s.totals);
    execute format('insert into private.%I (%s, %s) select %s, %s from public.%I group by %s',
      s.totals, s.keys, s.vals, s.keys,
      (select string_agg(format('sum(%I)', v), ', ') from unnest(string_to_array(s.vals, ',')) v),
      s.source, s.keys);
  end loop;
end
$$;
comment on function private.traffic_rebuild_day_totals() is
  'Rebuilds the four per-day totals tables from their sources (one row per key).';
revoke all on function private.traffic_rebuild_day_totals()
  from public, anon, authenticated, service_role;

-- The fold: each key with several rows -> one row, the sum of exactly the rows deleted (a delta
-- committed meanwhile is neither lost nor counted twice). Serialised by an advisory lock.
create or replace function private.traffic_fold_day_totals()
returns int
language plpgsql
security definer
set search_path = ''
as $$
declare
  s record;
  v_keys text[];
  v_n int;
  v_total int := 0;
begin
  if not pg_try_advisory_xact_lock(hashtext('private.traffic_fold_day_totals')) then
    return 0;
  end if;
  for s in select * from private.traffic_day_totals_sources() loop
    v_keys := string_to_array(replace(s.keys, ' ', ''), ',');
    execute format(
      'with k as (select %1$s from private.%2$I group by %1$s having count(*) > 1), '
      'd as (delete from private.%2$I t using k where %3$s returning t.*) '
      'insert into private.%2$I (%1$s, %4$s) select %1$s, %5$s from d group by %1$s',
      s.keys, s.totals,
      (select string_agg(format('t.%1$I = k.%1$I', k), ' and ') from unnest(v_keys) as k),
      s.vals,
      (select string_agg(format('sum(%I)', v), ', ') from unnest(string_to_array(s.vals, ',')) v));
    get diagnostics v_n = row_count;
    v_total := v_total + v_n;
  end loop;
  return v_total;
end
$$;
comment on function private.traffic_fold_day_totals() is
  'pg_cron traffic-fold-day-totals: folds each key of the per-day totals tables into one row '
  '(the sum of the rows it deleted); returns the keys folded.';
revoke all on function private.traffic_fold_day_totals()
  from public, anon, authenticated, service_role;

-- The users whose rows the totals hold but the routes do not cover: every user without an active
-- settings row (admins, former targetologists). Empty for anyone who may not read every team.
create or replace function private.traffic_day_total_others()
returns uuid[]
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(array_agg(u.id), '{}')
  from auth.users u
  -- (security definer: current_user is the owner here; the request's role is the JWT's)
  where (coalesce(auth.role(), '') <> 'authenticated' or coalesce(private.is_admin(), false))
    and not exists (select 1 from public.traffic_targetologist_settings s
                    where s.user_id = u.id and s.is_active)
$$;
comment on function private.traffic_day_total_others() is
  'The user ids of auth.users without an active traffic_targetologist_settings row: what a reader '
  'of the per-day totals subtracts (by their rollup rows) to get the active targetologists'' sum. '
  'Empty unless the caller is an admin or a service caller.';
revoke all on function private.traffic_day_total_others() from public, anon;
grant execute on function private.traffic_day_total_others() to authenticated, service_role;

-- Filled once, then kept by the triggers (created under the same locks).
select private.traffic_rebuild_day_totals();

do $$
declare
  s record;
  e text;
begin
  for s in select * from private.traffic_day_totals_sources() loop
    foreach e in array array['insert', 'update', 'delete'] loop
      execute format('create trigger day_totals_%1$s after %1$s on public.%2$I '
        'referencing %3$s for each statement '
        'execute function private.traffic_day_totals_note(%4$L, %5$L, %6$L)',
        e, s.source,
        case e when 'insert' then 'new table as new_rows'
          when 'delete' then 'old table as old_rows'
          else 'old table as old_rows new table as new_rows' end,
        s.totals, s.keys, s.vals);
    end loop;
    execute format('create trigger day_totals_truncate after truncate on public.%I '
      'for each statement execute function private.traffic_day_totals_note(%L, %L, %L)',
      s.source, s.totals, s.keys, s.vals);
  end loop;
end
$$;

select cron.schedule('traffic-fold-day-totals', '* * * * *',
  $cron$select private.traffic_fold_day_totals()$cron$);
