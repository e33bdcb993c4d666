-- Lead and sale rollups without a shared row lock: writers APPEND delta rows, a fold compacts them.
--
-- Before, the statement triggers of traffic_leads / traffic_sales upserted their deltas into the
-- one row of each (user_id, local day) (`on conflict ... do update`), so every webhook transaction
-- of the same day and owner - and for unowned UTMs, of ALL traffic: the (null, today) row - locked
-- the same row until it committed (an fsync): concurrent webhooks waited on each other
-- (Lock:transactionid), even on the empty database (figures: docs/benchmarks.md).
--
-- Now a (user_id, day) may have several rows; their SUM is the rollup (every reader already sums:
-- traffic_metrics_for_range() groups by user_id). A trigger only inserts new rows flagged
-- is_delta (no unique index, so no insert waits on another's uncommitted key either), and
-- private.traffic_fold_daily_rollups() - pg_cron `traffic-fold-rollups`, every minute - replaces
-- the rows of every key that has deltas by one row holding their sum (a key summing to zero goes).
-- The fold deletes with RETURNING and inserts the sum of exactly the rows it deleted, so a delta
-- committed meanwhile is never lost nor counted twice; it takes ROW EXCLUSIVE on traffic_leads /
-- traffic_sales (what every writer takes: no webhook waits), which conflicts with the SHARE lock
-- of private.traffic_rebuild_leads_sales_daily() and with TRUNCATE, so a rebuild never interleaves
-- with a fold.

alter table public.traffic_leads_daily drop constraint traffic_leads_daily_user_day_key;
alter table public.traffic_sales_daily drop constraint traffic_sales_daily_user_day_key;
drop index public.traffic_leads_daily_empty_idx;
drop index public.traffic_sales_daily_empty_idx;
alter table public.traffic_leads_daily add column is_delta boolean not null default false;
alter table public.traffic_sales_daily add column is_delta boolean not null default false;
comment on column public.traffic_leads_daily.is_delta is
  'true: appended by a write to traffic_leads, not folded yet. The rollup of a (user_id, day) is '
  'the SUM of its rows.';
comment on column public.traffic_sales_daily.is_delta is
  'true: appended by a write to traffic_sales, not folded yet. The rollup of a (user_id, day) is '
  'the SUM of its rows.';
-- The fold finds the keys with deltas, then every row of each key (user_id null included).
create index traffic_leads_daily_delta_idx on public.traffic_leads_daily (day) where is_delta;
create index traffic_sales_daily_delta_idx on public.traffic_sales_daily (day) where is_delta;
create index traffic_leads_daily_key_idx on public.traffic_leads_daily
  (day, coalesce(user_id, '00000000-0000-0000-0000-000000000000'::uuid));
create index traffic_sales_daily_key_idx on public.traffic_sales_daily
  (day, coalesce(user_id, '00000000-0000-0000-0000-000000000000'::uuid));

comment on table public.traffic_leads_daily is
  'Daily rollup of traffic_leads (not deleted) per (user_id, local day of created_at in '
  'Asia/Almaty): lead counts in total and per product; user_id null = unattributed. A key may have '
  'several rows (deltas appended by triggers on traffic_leads, folded every minute by '
  'private.traffic_fold_daily_rollups()): the rollup is their SUM. Read by '
  'traffic_metrics_for_range().';
comment on table public.traffic_sales_daily is
  'Daily rollup of ACTIVE traffic_sales per (user_id, local day of sold_at in Asia/Almaty): '
  'counts and KZT revenue per product and sale type; user_id null = unattributed. A key may have '
  'several rows (deltas appended by triggers on traffic_sales, folded every minute by '
  'private.traffic_fold_daily_rollups()): the rollup is their SUM. Read by '
  'traffic_metrics_for_range().';

-- What a statement's rows contribute, appended (new rows added, old rows subtracted). The rows are
-- gathered into arrays by a static query per trigger event, then ONE static insert applies them:
-- every statement keeps its cached plan (the EXECUTE of a built string was planned anew on each of
-- the several statements a webhook runs against traffic_leads / traffic_sales).
create or replace function private.traffic_leads_daily_sync()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user uuid[];
  v_day date[];
  v_s int[];
  v_product text[];
begin
  if tg_op = 'INSERT' then
    select array_agg(n.user_id), array_agg((n.created_at at time zone 'Asia/Almaty')::date),
      array_agg(1), array_agg(n.product)
    into v_user, v_day, v_s, v_product
    from new_rows n where not n.is_deleted;
  elsif tg_op = 'DELETE' then
    select array_agg(o.user_id), array_agg((o.created_at at time zone 'Asia/Almaty')::date),
      array_agg(-1), array_agg(o.product)
    into v_user, v_day, v_s, v_product
    from old_rows o where not o.is_deleted;
  else
    select array_agg(r.user_id), array_agg(r.day), array_agg(r.s), array_agg(r.product)
    into v_user, v_day, v_s, v_product
    from (
      select n.user_id, (n.created_at at time zone 'Asia/Almaty')::date as day, 1 as s, n.product
      from new_rows n where not n.is_deleted
      union all
      select o.user_id, (o.created_at at time zone 'Asia/Almaty')::date, -1, o.product
      from old_rows o where not o.is_deleted
    ) as r;
  end if;
  if v_day is null then
    return null;
  end if;
  insert into public.traffic_leads_daily (user_id, day, leads, challenge3d_leads,
    express_leads, intensive1d_leads, is_delta)
  select d.user_id, d.day, sum(d.s),
    coalesce(sum(d.s) filter (where d.product = 'challenge3d'), 0),
    coalesce(sum(d.s) filter (where d.product = 'express'), 0),
    coalesce(sum(d.s) filter (where d.product = 'intensive1d'), 0),
    true
  from unnest(v_user, v_day, v_s, v_product) as d(user_id, day, s, product)
  group by d.user_id, d.day
  having sum(d.s) <> 0 or sum(d.s) filter (where d.product = 'challenge3d') <> 0
    or sum(d.s) filter (where d.product = 'express') <> 0
    or sum(d.s) filter (where d.product = 'intensive1d') <> 0;
  return null;
end
$$;
comment on function private.traffic_leads_daily_sync() is
  'Statement trigger of traffic_leads: appends the statement''s rows to traffic_leads_daily as '
  'delta rows per (user_id, day) (new rows added, old rows subtracted); no existing row is '
  'touched, so concurrent writers never wait on each other here.';
revoke all on function private.traffic_leads_daily_sync()
  from public, anon, authenticated, service_role;

create or replace function private.traffic_sales_daily_sync()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user uuid[];
  v_day date[];
  v_s int[];
  v_amount numeric[];
  v_product text[];
  v_type text[];
begin
  if tg_op = 'INSERT' then
    select array_agg(n.user_id), array_agg((n.sold_at at time zone 'Asia/Almaty')::date),
      array_agg(1), array_agg(n.sale_amount), array_agg(n.product), array_agg(n.sale_type)
    into v_user, v_day, v_s, v_amount, v_product, v_type
    from new_rows n where n.status = 'active';
  elsif tg_op = 'DELETE' then
    select array_agg(o.user_id), array_agg((o.sold_at at time zone 'Asia/Almaty')::date),
      array_agg(-1), array_agg(-o.sale_amount), array_agg(o.product), array_agg(o.sale_type)
    into v_user, v_day, v_s, v_amount, v_product, v_type
    from old_rows o where o.status = 'active';
  else
    select array_agg(r.user_id), array_agg(r.day), array_agg(r.s), array_agg(r.amount),
      array_agg(r.product), array_agg(r.sale_type)
    into v_user, v_day, v_s, v_amount, v_product, v_type
    from (
      select n.user_id, (n.sold_at at time zone 'Asia/Almaty')::date as day, 1 as s,
        n.sale_amount as amount, n.product, n.sale_type
      from new_rows n where n.status = 'active'
      union all
      select o.user_id, (o.sold_at at time zone 'Asia/Almaty')::date, -1, -o.sale_amount,
        o.product, o.sale_type
      from old_rows o where o.status = 'active'
    ) as r;
  end if;
  if v_day is null then
    return null;
  end if;
  insert into public.traffic_sales_daily (user_id, day, challenge3d_prepayments,
    challenge3d_prepayment_revenue, challenge3d_full_payments, challenge3d_full_revenue,
    express_sales, express_revenue, intensive1d_sales, intensive1d_revenue, is_delta)
  select g.user_id, g.day, g.c3d_pre, g.c3d_pre_rev, g.c3d_full, g.c3d_full_rev, g.express,
    g.express_rev, g.intensive1d, g.intensive1d_rev, true
  from (
    select d.user_id, d.day,
      coalesce(sum(d.s) filter (where d.product = 'challenge3d'
        and d.sale_type = 'prepayment'), 0) as c3d_pre,
      coalesce(sum(d.amount) filter (where d.product = 'challenge3d'
        and d.sale_type = 'prepayment'), 0) as c3d_pre_rev,
      coalesce(sum(d.s) filter (where d.product = 'challenge3d'
        and d.sale_type = 'full'), 0) as c3d_full,
      coalesce(sum(d.amount) filter (where d.product = 'challenge3d'
        and d.sale_type = 'full'), 0) as c3d_full_rev,
      coalesce(sum(d.s) filter (where d.product = 'express'), 0) as express,
      coalesce(sum(d.amount) filter (where d.product = 'express'), 0) as express_rev,
      coalesce(sum(d.s) filter (where d.product = 'intensive1d'), 0) as intensive1d,
      coalesce(sum(d.amount) filter (where d.product = 'intensive1d'), 0) as intensive1d_rev
    from unnest(v_user, v_day, v_s, v_amount, v_product, v_type)
      as d(user_id, day, s, amount, product, sale_type)
    group by d.user_id, d.day
  ) as g
  where g.c3d_pre <> 0 or g.c3d_pre_rev <> 0 or g.c3d_full <> 0 or g.c3d_full_rev <> 0
    or g.express <> 0 or g.express_rev <> 0 or g.intensive1d <> 0 or g.intensive1d_rev <> 0;
  return null;
end
$$;
comment on function private.traffic_sales_daily_sync() is
  'Statement trigger of traffic_sales: appends the statement''s active rows to '
  'traffic_sales_daily as delta rows per (user_id, day) (new rows added, old rows subtracted); '
  'no existing row is touched, so concurrent writers never wait on each other here.';
revoke all on function private.traffic_sales_daily_sync()
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

  with keys as (
    select distinct d.day,
      coalesce(d.user_id, '00000000-0000-0000-0000-000000000000'::uuid) as uk
    from public.traffic_leads_daily d
    where d.is_delta
  ),
  gone as (
    delete from public.traffic_leads_daily t
    using keys k
    where t.day = k.day
      and coalesce(t.user_id, '00000000-0000-0000-0000-000000000000'::uuid) = k.uk
    returning t.*
  ),
  folded as (
    insert into public.traffic_leads_daily (user_id, day, leads, challenge3d_leads,
      express_leads, intensive1d_leads)
    select g.user_id, g.day, sum(g.leads), sum(g.challenge3d_leads), sum(g.express_leads),
      sum(g.intensive1d_leads)
    from gone g
    group by g.user_id, g.day
    having sum(g.leads) <> 0 or sum(g.challenge3d_leads) <> 0 or sum(g.express_leads) <> 0
      or sum(g.intensive1d_leads) <> 0
    returning 1
  )
  select count(*)::int into v_leads_keys from (select distinct day, uk from keys) k;

  with keys as (
    select distinct d.day,
      coalesce(d.user_id, '00000000-0000-0000-0000-000000000000'::uuid) as uk
    from public.traffic_sales_daily d
    where d.is_delta
  ),
  gone as (
    delete from public.traffic_sales_daily t
    using keys k
    where t.day = k.day
      and coalesce(t.user_id, '00000000-0000-0000-0000-000000000000'::uuid) = k.uk
    returning t.*
  ),
  folded as (
    insert into public.traffic_sales_daily (user_id, day, challenge3d_prepayments,
      challenge3d_prepayment_revenue, challenge3d_full_payments, challenge3d_full_revenue,
      express_sales, express_revenue, intensive1d_sales, intensive1d_revenue)
    select g.user_id, g.day, sum(g.challenge3d_prepayments),
      sum(g.challenge3d_prepayment_revenue), sum(g.challenge3d_full_payments),
      sum(g.challenge3d_full_revenue), sum(g.express_sales), sum(g.express_revenue),
      sum(g.intensive1d_sales), sum(g.intensive1d_revenue)
    from gone g
    group by g.user_id, g.day
    -- Counts at zero mean no active sale is left (revenue then sums to zero too).
    having sum(g.challenge3d_prepayments) <> 0 or sum(g.challenge3d_full_payments) <> 0
      or sum(g.express_sales) <> 0 or sum(g.intensive1d_sales) <> 0
    returning 1
  )
  select count(*)::int into v_sales_keys from (select distinct day, uk from keys) k;

  return jsonb_build_object('leads_keys_folded', v_leads_keys, 'sales_keys_folded', v_sales_keys);
end
$$;
comment on function private.traffic_fold_daily_rollups() is
  'Folds the delta rows of traffic_leads_daily / traffic_sales_daily: each (user_id, day) with '
  'deltas becomes one row holding the sum of its rows (none when that sum is zero). Exact under '
  'concurrent writers. Run every minute by pg_cron job traffic-fold-rollups. Returns '
  '{leads_keys_folded, sales_keys_folded}.';
revoke all on function private.traffic_fold_daily_rollups()
  from public, anon, authenticated, service_role;

select cron.schedule('traffic-fold-rollups', '* * * * *',
  $cron$select private.traffic_fold_daily_rollups()$cron$);
