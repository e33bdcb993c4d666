-- A fold of the delta rollups changes no number, so it marks nothing dirty.
--
-- private.traffic_fold_daily_rollups() (pg_cron `traffic-fold-rollups`, every minute, newest:
-- 20261207004500) replaces the rows of each (user_id, day) of traffic_leads_daily /
-- traffic_sales_daily that has delta rows by ONE row holding exactly their sum (the rows it
-- deleted, not a re-read). Every reader sums a key's rows (private.traffic_leads_by_day /
-- traffic_sales_by_day), so no figure the aggregation computes can change. But the fold's DELETE
-- and INSERT are two trigger events, each with its own transition table, so
-- private.traffic_aggregate_note_dirty() (newest: 20261207030000) could not see that they cancel
-- and marked every folded team dirty: the next aggregation run recomputed them for nothing.
--
-- Now the fold sets traffic.rollup_folding = 'on' for its two statements only (set back to 'off'
-- right after them, so a later write in the caller's transaction is marked as always; an error
-- rolls the setting back with the statements), and the trigger marks nothing while it is on.
-- The writes the fold folds were marked by their own statements (the triggers of traffic_leads /
-- traffic_sales append the delta rows), and a delta committed while the fold runs is not among
-- the rows it deletes, so it stays, with its own mark.
--
-- The fold's two blocks (leads, sales) were one plumbing written twice; they are now one
-- function, private.traffic_fold_rollup(table, count columns, amount columns), called twice.

create or replace function private.traffic_aggregate_note_dirty()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_rows jsonb[];
  v_signs int[];
begin
  -- A fold's own statements (the only ones while the setting is on): a key's rows are replaced
  -- by their sum, no number changes.
  if tg_op <> 'TRUNCATE' and current_setting('traffic.rollup_folding', true) = 'on' then
    return null;
  end if;
  if tg_op = 'TRUNCATE' then
    insert into private.traffic_aggregate_dirty (full_run) values (true);
  elsif tg_table_name = 'traffic_aggregated_metrics' then
    -- The aggregation's own writes set traffic.aggregate_writing for their transaction.
    if current_setting('traffic.aggregate_writing', true) is distinct from 'on' then
      insert into private.traffic_aggregate_dirty (full_run) values (true);
    end if;
  elsif tg_table_name = 'exchange_rates' then
    if tg_op = 'UPDATE' then
      if exists (select 1 from new_rows n
                 join old_rows o on o.rate_date = n.rate_date and o.currency = n.currency
                 where (o.rate_kzt, o.quant) is distinct from (n.rate_kzt, n.quant))
        or exists (select n.rate_date, n.currency from new_rows n
                   except select o.rate_date, o.currency from old_rows o) then
        insert into private.traffic_aggregate_dirty (full_run) values (true);
      end if;
    else
      insert into private.traffic_aggregate_dirty (full_run) values (true);
    end if;
  elsif tg_table_name = 'traffic_targetologist_settings' then
    -- What the metrics read of it: who is active, and the team's name.
    if tg_op = 'INSERT' then
      insert into private.traffic_aggregate_dirty (user_id) select n.user_id from new_rows n;
    elsif tg_op = 'DELETE' then
      insert into private.traffic_aggregate_dirty (user_id) select o.user_id from old_rows o;
    else
      insert into private.traffic_aggregate_dirty (user_id)
      select n.user_id from new_rows n
      left join old_rows o on o.user_id = n.user_id
      where (o.is_active, o.team_name) is distinct from (n.is_active, n.team_name)
      union
      select o.user_id from old_rows o
      where not exists (select 1 from new_rows n where n.user_id = o.user_id);
    end if;
  else
    -- A rollup: the statement's row images (new ones +1, old ones -1), as jsonb since the day
    -- column is `day` (leads, sales) or `stat_date` (spend, Meta leads). An image present
    -- unchanged on both sides cancels out (a rewrite of the same numbers).
    if tg_op = 'INSERT' then
      select array_agg(to_jsonb(n)), array_agg(1) into v_rows, v_signs from new_rows n;
    elsif tg_op = 'DELETE' then
      select array_agg(to_jsonb(o)), array_agg(-1) into v_rows, v_signs from old_rows o;
    else
      select array_agg(r.j), array_agg(r.s) into v_rows, v_signs
      from (select to_jsonb(n) as j, 1 as s from new_rows n
            union all select to_jsonb(o), -1 from old_rows o) as r;
    end if;
    insert into private.traffic_aggregate_dirty (user_id, first_day, last_day)
    select c.user_id, min(c.day), max(c.day)
    from (
      select (r.j ->> 'user_id')::uuid as user_id,
        coalesce(r.j ->> 'day', r.j ->> 'stat_date')::date as day
      from unnest(v_rows, v_signs) as r(j, s)
      group by r.j
      having sum(r.s) <> 0
    ) as c
    group by c.user_id;
  end if;
  return null;
end
$$;
comment on function private.traffic_aggregate_note_dirty() is
  'Statement trigger (transition tables) of the tables traffic_aggregate_metrics() reads: appends '
  'to private.traffic_aggregate_dirty the users and days the statement changed, or a full mark '
  '(rates, truncation, a write to the stored rows outside the aggregation). A fold of the '
  'lead / sale rollups (traffic.rollup_folding on) changes no sum and marks nothing.';
revoke all on function private.traffic_aggregate_note_dirty()
  from public, anon, authenticated, service_role;

create or replace function private.traffic_fold_rollup(
  p_table regclass, p_counts text[], p_amounts text[])
returns int
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_zero constant text := '''00000000-0000-0000-0000-000000000000''::uuid';
  v_cols text[] := p_counts || p_amounts;
  v_keys int;
begin
  -- Deletes every row of each (user_id, day) that has a delta row and inserts the sum of exactly
  -- the rows it deleted (RETURNING, not a re-read): a delta committed meanwhile is neither lost
  -- nor counted twice. A key whose counts sum to zero goes (no row left to count; its amounts
  -- then sum to zero too).
  execute format($f$
    with keys as (
      select distinct d.day, coalesce(d.user_id, %2$s) as uk
      from %1$s d
      where d.is_delta
    ),
    gone as (
      delete from %1$s t
      using keys k
      where t.day = k.day and coalesce(t.user_id, %2$s) = k.uk
      returning t.*
    ),
    folded as (
      insert into %1$s (user_id, day, %3$s)
      select g.user_id, g.day, %4$s
      from gone g
      group by g.user_id, g.day
      having %5$s
      returning 1
    )
    select count(*)::int from keys$f$,
    p_table, v_zero,
    (select string_agg(format('%I', c), ', ') from unnest(v_cols) as c),
    (select string_agg(format('sum(g.%I)', c), ', ') from unnest(v_cols) as c),
    (select string_agg(format('sum(g.%I) <> 0', c), ' or ') from unnest(p_counts) as c))
  into v_keys;
  return v_keys;
end
$$;
comment on function private.traffic_fold_rollup(regclass, text[], text[]) is
  'Folds the delta rows of a delta rollup (traffic_leads_daily, traffic_sales_daily): each '
  '(user_id, day) with is_delta rows becomes one row of their sums (p_counts and p_amounts '
  'summed; none when every p_counts column sums to zero). Exact under concurrent writers. '
  'Returns the keys folded. Called by traffic_fold_daily_rollups().';
revoke all on function private.traffic_fold_rollup(regclass, text[], text[])
  from public, anon, authenticated, service_role;

create or replace function private.traffic_fold_daily_rollups()
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_leads_keys int;
  v_sales_keys int;
begin
  -- Never beside a rebuild or a truncate of the tables (both take stronger locks on them); the
  -- writers' own mode, so no webhook waits for a fold.
  lock table public.traffic_leads, public.traffic_sales in row exclusive mode;
  -- One fold at a time (a second would find the same keys): it waits, then folds what is left.
  perform pg_advisory_xact_lock(hashtext('private.traffic_fold_daily_rollups'));

  -- No sum changes: private.traffic_aggregate_note_dirty() marks nothing for these statements.
  perform set_config('traffic.rollup_folding', 'on', true);
  v_leads_keys := private.traffic_fold_rollup('public.traffic_leads_daily',
    array['leads', 'challenge3d_leads', 'express_leads', 'intensive1d_leads'], '{}');
  v_sales_keys := private.traffic_fold_rollup('public.traffic_sales_daily',
    array['challenge3d_prepayments', 'challenge3d_full_payments', 'express_sales',
      'intensive1d_sales'],
    array['challenge3d_prepayment_revenue', 'challenge3d_full_revenue', 'express_revenue',
      'intensive1d_revenue']);
  perform set_config('traffic.rollup_folding', 'off', true);

  return jsonb_build_object('leads_keys_folded', v_leads_keys, 'sales_keys_folded', v_sales_keys);
end
$$;
comment on function private.traffic_fold_daily_rollups() is
  'Folds the delta rows of traffic_leads_daily / traffic_sales_daily: each (user_id, day) with '
  'deltas becomes one row holding the sum of its rows (none when that sum is zero). Exact under '
  'concurrent writers; marks nothing dirty for the aggregation (no sum changes). Run every minute '
  'by pg_cron job traffic-fold-rollups. Returns {leads_keys_folded, sales_keys_folded}.';
revoke all on function private.traffic_fold_daily_rollups()
  from public, anon, authenticated, service_role;
