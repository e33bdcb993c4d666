-- What changed since the last aggregation run, so that a run recomputes only those targetologists
-- (issue 11 item 3: a run after an hour of new data does work proportional to what changed).
--
-- private.traffic_aggregate_dirty is append-only (no index, no unique key: a writer never waits on
-- another writer's row, as for the appended lead / sale rollups). Statement triggers with
-- transition tables record, per statement:
--   * on the rollups the metrics read (traffic_spend_daily, traffic_leads_daily,
--     traffic_sales_daily, traffic_meta_leads_daily): each user_id whose rows changed, with the
--     first and last day touched (user_id null: unattributed leads / sales, the team total only).
--     An UPDATE records only rows whose values differ (a re-sync that rewrites the same numbers
--     records nothing);
--   * on traffic_targetologist_settings: each user_id inserted, updated or deleted (activation,
--     team name), all days;
--   * on exchange_rates: full_run = true when a rate was added, removed or revised (a rate revision
--     changes every team's conversions on its days);
--   * on traffic_aggregated_metrics: full_run = true when anyone but the aggregation itself writes the
--     stored rows (a repair, a reset), so the next run rewrites them all;
--   * TRUNCATE of any of them: full_run = true.
-- public.traffic_aggregate_metrics() deletes the rows it consumes (DELETE ... RETURNING, before
-- it reads any data) in the same transaction as its writes: a crash or an error rolls the delete
-- back with them, and a row committed after the delete's snapshot stays for the next run.
-- private.traffic_aggregate_state remembers the time zone and local day of the last run: the
-- today / 7d / 30d windows move at local midnight, so a new day (or another time zone) is a full run.

create table private.traffic_aggregate_dirty (
  user_id uuid,
  first_day date not null default '-infinity',
  last_day date not null default 'infinity',
  full_run boolean not null default false,
  noted_at timestamptz not null default now()
);
comment on table private.traffic_aggregate_dirty is
  'Append-only marks of what changed since the last aggregation run: a user_id and the days it '
  'changed (user_id null: unattributed leads/sales), or full_run = true (rates, truncation, a write '
  'to the stored rows by someone else). Consumed (deleted) by traffic_aggregate_metrics() in the '
  'transaction that writes the recomputed rows.';
revoke all on table private.traffic_aggregate_dirty from public, anon, authenticated, service_role;

create table private.traffic_aggregate_state (
  id boolean primary key default true check (id),
  tz text not null,
  today date not null,
  missing_rates jsonb not null default '[]',
  ran_at timestamptz not null default now()
);
comment on table private.traffic_aggregate_state is
  'One row: the time zone and local day of the last aggregation run (its windows), and the days '
  'it converted with an earlier day''s rate. Another day or time zone makes the next run full.';
revoke all on table private.traffic_aggregate_state from public, anon, authenticated, service_role;

-- Per-user reads of the lead / sale rollups (an incremental run reads only the changed users;
-- user_id null = unattributed, read by every run for the team total).
create index traffic_leads_daily_user_day_idx on public.traffic_leads_daily (user_id, day);
create index traffic_sales_daily_user_day_idx on public.traffic_sales_daily (user_id, day);

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
  '(rates, truncation, a write to the stored rows outside the aggregation).';
revoke all on function private.traffic_aggregate_note_dirty()
  from public, anon, authenticated, service_role;

-- Transition tables need one trigger per event.
do $$
declare
  t text;
begin
  foreach t in array array['traffic_spend_daily', 'traffic_leads_daily', 'traffic_sales_daily',
    'traffic_meta_leads_daily', 'traffic_targetologist_settings', 'exchange_rates',
    'traffic_aggregated_metrics']
  loop
    execute format('create trigger aggregate_dirty_insert after insert on public.%I '
      'referencing new table as new_rows for each statement '
      'execute function private.traffic_aggregate_note_dirty()', t);
    execute format('create trigger aggregate_dirty_update after update on public.%I '
      'referencing new table as new_rows old table as old_rows for each statement '
      'execute function private.traffic_aggregate_note_dirty()', t);
    execute format('create trigger aggregate_dirty_delete after delete on public.%I '
      'referencing old table as old_rows for each statement '
      'execute function private.traffic_aggregate_note_dirty()', t);
    execute format('create trigger aggregate_dirty_truncate after truncate on public.%I '
      'for each statement execute function private.traffic_aggregate_note_dirty()', t);
  end loop;
end
$$;
