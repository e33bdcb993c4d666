-- Leads and active sales per targetologist and local day (Asia/Almaty, the dashboard's default
-- TRAFFIC_TIMEZONE), the rollups traffic_metrics_for_range() reads instead of every lead and sale
-- of the range (as traffic_spend_daily already is for spend): an aggregation run then costs
-- targetologists x days, not leads. Statement triggers apply every insert, update and delete of
-- traffic_leads / traffic_sales as exact deltas (counts, numeric revenue), so each always equals
-- the `group by user_id, local day` of its table. user_id null = unattributed (the team total's
-- part); a (user_id, day) pair is unique with nulls not distinct.

create table public.traffic_leads_daily (
  user_id uuid,
  day date not null,
  leads int not null default 0,
  challenge3d_leads int not null default 0,
  express_leads int not null default 0,
  intensive1d_leads int not null default 0,
  constraint traffic_leads_daily_user_day_key unique nulls not distinct (user_id, day)
);
alter table public.traffic_leads_daily enable row level security;
comment on table public.traffic_leads_daily is
  'Daily rollup of traffic_leads (not deleted) per (user_id, local day of created_at in '
  'Asia/Almaty): lead counts in total and per product; user_id null = unattributed. Maintained by '
  'triggers on traffic_leads; read by traffic_metrics_for_range().';
create index traffic_leads_daily_day_idx on public.traffic_leads_daily (day);
-- Emptied groups are found through this (normally empty) partial index.
create index traffic_leads_daily_empty_idx on public.traffic_leads_daily (day)
  where leads = 0 and challenge3d_leads = 0 and express_leads = 0 and intensive1d_leads = 0;

create table public.traffic_sales_daily (
  user_id uuid,
  day date not null,
  challenge3d_prepayments int not null default 0,
  challenge3d_prepayment_revenue numeric not null default 0,
  challenge3d_full_payments int not null default 0,
  challenge3d_full_revenue numeric not null default 0,
  express_sales int not null default 0,
  express_revenue numeric not null default 0,
  intensive1d_sales int not null default 0,
  intensive1d_revenue numeric not null default 0,
  constraint traffic_sales_daily_user_day_key unique nulls not distinct (user_id, day)
);
alter table public.traffic_sales_daily enable row level security;
comment on table public.traffic_sales_daily is
  'Daily rollup of ACTIVE traffic_sales per (user_id, local day of sold_at in Asia/Almaty): '
  'counts and KZT revenue per product and sale type; user_id null = unattributed. Maintained by '
  'triggers on traffic_sales; read by traffic_metrics_for_range().';
create index traffic_sales_daily_day_idx on public.traffic_sales_daily (day);
create index traffic_sales_daily_empty_idx on public.traffic_sales_daily (day)
  where challenge3d_prepayments = 0 and challenge3d_full_payments = 0 and express_sales = 0
    and intensive1d_sales = 0;

revoke all on table public.traffic_leads_daily, public.traffic_sales_daily
  from anon, authenticated;
grant select on table public.traffic_leads_daily, public.traffic_sales_daily
  to authenticated, service_role;

create policy "leads daily: read own, admin reads all"
  on public.traffic_leads_daily for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));
comment on policy "leads daily: read own, admin reads all" on public.traffic_leads_daily is
  'A targetologist reads their own daily lead counts; an admin reads all, unattributed included.';
create policy "sales daily: read own, admin reads all"
  on public.traffic_sales_daily for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));
comment on policy "sales daily: read own, admin reads all" on public.traffic_sales_daily is
  'A targetologist reads their own daily sales; an admin reads all, unattributed included.';

-- What one lead / sale row contributes (the sign applied by the caller).
create or replace function private.traffic_leads_daily_sync()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_new constant text := 'select n.user_id, (n.created_at at time zone ''Asia/Almaty'')::date '
    'as day, 1 as s, n.product from new_rows n where not n.is_deleted';
  v_old constant text := 'select o.user_id, (o.created_at at time zone ''Asia/Almaty'')::date '
    'as day, -1 as s, o.product from old_rows o where not o.is_deleted';
begin
  execute format($sql$
    insert into public.traffic_leads_daily as t (user_id, day, leads, challenge3d_leads,
      express_leads, intensive1d_leads)
    select d.user_id, d.day, sum(d.s),
      coalesce(sum(d.s) filter (where d.product = 'challenge3d'), 0),
      coalesce(sum(d.s) filter (where d.product = 'express'), 0),
      coalesce(sum(d.s) filter (where d.product = 'intensive1d'), 0)
    from (%s) as d
    group by d.user_id, d.day
    having sum(d.s) <> 0 or sum(d.s) filter (where d.product = 'challenge3d') <> 0
      or sum(d.s) filter (where d.product = 'express') <> 0
      or sum(d.s) filter (where d.product = 'intensive1d') <> 0
    order by 1, 2
    on conflict on constraint traffic_leads_daily_user_day_key do update set
      leads = t.leads + excluded.leads,
      challenge3d_leads = t.challenge3d_leads + excluded.challenge3d_leads,
      express_leads = t.express_leads + excluded.express_leads,
      intensive1d_leads = t.intensive1d_leads + excluded.intensive1d_leads
    $sql$,
    case tg_op when 'INSERT' then v_new when 'DELETE' then v_old
      else v_new || ' union all ' || v_old end);
  if tg_op <> 'INSERT' then
    delete from public.traffic_leads_daily t
    where t.leads = 0 and t.challenge3d_leads = 0 and t.express_leads = 0
      and t.intensive1d_leads = 0;
  end if;
  return null;
end
$$;
comment on function private.traffic_leads_daily_sync() is
  'Statement trigger of traffic_leads: applies the statement''s rows to traffic_leads_daily as '
  'deltas (new rows added, old rows subtracted).';
revoke all on function private.traffic_leads_daily_sync()
  from public, anon, authenticated, service_role;

create or replace function private.traffic_sales_daily_sync()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_new constant text := 'select n.user_id, (n.sold_at at time zone ''Asia/Almaty'')::date '
    'as day, 1 as s, n.sale_amount as amount, n.product, n.sale_type from new_rows n '
    'where n.status = ''active''';
  v_old constant text := 'select o.user_id, (o.sold_at at time zone ''Asia/Almaty'')::date '
    'as day, -1 as s, -o.sale_amount as amount, o.product, o.sale_type from old_rows o '
    'where o.status = ''active''';
begin
  execute format($sql$
    insert into public.traffic_sales_daily as t (user_id, day, challenge3d_prepayments,
      challenge3d_prepayment_revenue, challenge3d_full_payments, challenge3d_full_revenue,
      express_sales, express_revenue, intensive1d_sales, intensive1d_revenue)
    select g.user_id, g.day, g.c3d_pre, g.c3d_pre_rev, g.c3d_full, g.c3d_full_rev, g.express,
      g.express_rev, g.intensive1d, g.intensive1d_rev
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
      from (%s) as d
      group by d.user_id, d.day
    ) as g
    where g.c3d_pre <> 0 or g.c3d_pre_rev <> 0 or g.c3d_full <> 0 or g.c3d_full_rev <> 0
      or g.express <> 0 or g.express_rev <> 0 or g.intensive1d <> 0 or g.intensive1d_rev <> 0
    order by 1, 2
    on conflict on constraint traffic_sales_daily_user_day_key do update set
      challenge3d_prepayments = t.challenge3d_prepayments + excluded.challenge3d_prepayments,
      challenge3d_prepayment_revenue
        = t.challenge3d_prepayment_revenue + excluded.challenge3d_prepayment_revenue,
      challenge3d_full_payments = t.challenge3d_full_payments + excluded.challenge3d_full_payments,
      challenge3d_full_revenue = t.challenge3d_full_revenue + excluded.challenge3d_full_revenue,
      express_sales = t.express_sales + excluded.express_sales,
      express_revenue = t.express_revenue + excluded.express_revenue,
      intensive1d_sales = t.intensive1d_sales + excluded.intensive1d_sales,
      intensive1d_revenue = t.intensive1d_revenue + excluded.intensive1d_revenue
    $sql$,
    case tg_op when 'INSERT' then v_new when 'DELETE' then v_old
      else v_new || ' union all ' || v_old end);
  if tg_op <> 'INSERT' then
    -- Counts at zero mean no active sale is left (revenue then sums to zero too).
    delete from public.traffic_sales_daily t
    where t.challenge3d_prepayments = 0 and t.challenge3d_full_payments = 0
      and t.express_sales = 0 and t.intensive1d_sales = 0;
  end if;
  return null;
end
$$;
comment on function private.traffic_sales_daily_sync() is
  'Statement trigger of traffic_sales: applies the statement''s active rows to '
  'traffic_sales_daily as deltas (new rows added, old rows subtracted).';
revoke all on function private.traffic_sales_daily_sync()
  from public, anon, authenticated, service_role;

create trigger leads_daily_insert after insert on public.traffic_leads
  referencing new table as new_rows
  for each statement execute function private.traffic_leads_daily_sync();
create trigger leads_daily_update after update on public.traffic_leads
  referencing old table as old_rows new table as new_rows
  for each statement execute function private.traffic_leads_daily_sync();
create trigger leads_daily_delete after delete on public.traffic_leads
  referencing old table as old_rows
  for each statement execute function private.traffic_leads_daily_sync();
create trigger sales_daily_insert after insert on public.traffic_sales
  referencing new table as new_rows
  for each statement execute function private.traffic_sales_daily_sync();
create trigger sales_daily_update after update on public.traffic_sales
  referencing old table as old_rows new table as new_rows
  for each statement execute function private.traffic_sales_daily_sync();
create trigger sales_daily_delete after delete on public.traffic_sales
  referencing old table as old_rows
  for each statement execute function private.traffic_sales_daily_sync();

create or replace function private.traffic_leads_sales_daily_truncate()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_table_name = 'traffic_leads' then
    delete from public.traffic_leads_daily;
  else
    delete from public.traffic_sales_daily;
  end if;
  return null;
end
$$;
comment on function private.traffic_leads_sales_daily_truncate() is
  'TRUNCATE trigger of traffic_leads / traffic_sales: empties its daily rollup.';
revoke all on function private.traffic_leads_sales_daily_truncate()
  from public, anon, authenticated, service_role;
create trigger leads_daily_truncate after truncate on public.traffic_leads
  for each statement execute function private.traffic_leads_sales_daily_truncate();
create trigger sales_daily_truncate after truncate on public.traffic_sales
  for each statement execute function private.traffic_leads_sales_daily_truncate();

-- Rebuilds both from their tables (repair after writes with triggers off; also the first fill).
create or replace function private.traffic_rebuild_leads_sales_daily()
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_leads int;
  v_sales int;
begin
  lock table public.traffic_leads, public.traffic_sales in share mode;
  delete from public.traffic_leads_daily;
  insert into public.traffic_leads_daily (user_id, day, leads, challenge3d_leads, express_leads,
    intensive1d_leads)
  select l.user_id, (l.created_at at time zone 'Asia/Almaty')::date, count(*),
    count(*) filter (where l.product = 'challenge3d'),
    count(*) filter (where l.product = 'express'),
    count(*) filter (where l.product = 'intensive1d')
  from public.traffic_leads l
  where not l.is_deleted
  group by 1, 2;
  get diagnostics v_leads = row_count;
  delete from public.traffic_sales_daily;
  insert into public.traffic_sales_daily (user_id, day, challenge3d_prepayments,
    challenge3d_prepayment_revenue, challenge3d_full_payments, challenge3d_full_revenue,
    express_sales, express_revenue, intensive1d_sales, intensive1d_revenue)
  select s.user_id, (s.sold_at at time zone 'Asia/Almaty')::date,
    count(*) filter (where s.product = 'challenge3d' and s.sale_type = 'prepayment'),
    coalesce(sum(s.sale_amount) filter (
      where s.product = 'challenge3d' and s.sale_type = 'prepayment'), 0),
    count(*) filter (where s.product = 'challenge3d' and s.sale_type = 'full'),
    coalesce(sum(s.sale_amount) filter (
      where s.product = 'challenge3d' and s.sale_type = 'full'), 0),
    count(*) filter (where s.product = 'express'),
    coalesce(sum(s.sale_amount) filter (where s.product = 'express'), 0),
    count(*) filter (where s.product = 'intensive1d'),
    coalesce(sum(s.sale_amount) filter (where s.product = 'intensive1d'), 0)
  from public.traffic_sales s
  where s.status = 'active'
  group by 1, 2;
  get diagnostics v_sales = row_count;
  return jsonb_build_object('leads_daily_rows', v_leads, 'sales_daily_rows', v_sales);
end
$$;
comment on function private.traffic_rebuild_leads_sales_daily() is
  'Recomputes traffic_leads_daily and traffic_sales_daily from traffic_leads / traffic_sales. '
  'Returns {leads_daily_rows, sales_daily_rows}.';
revoke all on function private.traffic_rebuild_leads_sales_daily()
  from public, anon, authenticated, service_role;

select private.traffic_rebuild_leads_sales_daily();

-- The repair path also rebuilds the attribution owner tables and the lead / sale rollups, and has
-- the next run re-attribute everything.
create or replace function public.traffic_rebuild_rollups()
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_daily int;
  v_directory int;
  v_owners int;
  v_sources int;
begin
  -- Keeps raw writers out while both tables are rebuilt (their triggers would race the rebuild).
  lock table public.traffic_facebook_ads_raw in share mode;
  delete from public.traffic_spend_daily;
  insert into public.traffic_spend_daily (user_id, stat_date, account_currency, spend,
    impressions, clicks, reach, ad_rows)
  select r.user_id, r.stat_date, upper(r.account_currency), sum(r.spend), sum(r.impressions),
    sum(r.clicks), sum(r.reach), count(*)
  from public.traffic_facebook_ads_raw r
  group by r.user_id, r.stat_date, upper(r.account_currency);
  get diagnostics v_daily = row_count;

  delete from private.traffic_ad_directory;
  insert into private.traffic_ad_directory (user_id, ad_id, adset_id, campaign_id)
  select distinct r.user_id, r.ad_id, coalesce(r.adset_id, ''), coalesce(r.campaign_id, '')
  from public.traffic_facebook_ads_raw r;
  get diagnostics v_directory = row_count;

  perform pg_advisory_xact_lock(hashtext('private.traffic_attribution_id_owners'));
  delete from private.traffic_attribution_id_owners;
  insert into private.traffic_attribution_id_owners (id, rank, level, user_id, shared)
  select o.id, o.rank, o.level, o.user_id, o.shared
  from private.traffic_attribution_owners_of(
    (select array_agg(distinct v.id)
     from private.traffic_ad_directory d
     cross join lateral (values (d.ad_id), (d.adset_id), (d.campaign_id)) v(id)
     where v.id <> '')) as o;
  get diagnostics v_owners = row_count;

  perform pg_advisory_xact_lock(hashtext('private.traffic_utm_source_owners'));
  delete from private.traffic_utm_source_claims c
  where not exists (select 1 from public.traffic_targetologist_settings s
                    cross join lateral unnest(s.utm_sources) as x(value)
                    where s.user_id = c.user_id and lower(x.value) = c.source);
  insert into private.traffic_utm_source_claims (source, user_id)
  select distinct lower(x.value), s.user_id
  from public.traffic_targetologist_settings s
  cross join lateral unnest(s.utm_sources) as x(value)
  where x.value is not null and x.value <> ''
  on conflict do nothing;
  delete from private.traffic_utm_source_owners;
  perform private.traffic_utm_source_refresh(
    (select array_agg(distinct c.source) from private.traffic_utm_source_claims c));
  select count(*) into v_sources from private.traffic_utm_source_owners;

  insert into private.traffic_attribution_queue (kind) values ('all');

  return jsonb_build_object('spend_daily_rows', v_daily, 'ad_directory_rows', v_directory,
    'attribution_id_owners', v_owners, 'utm_source_owners', v_sources)
    || private.traffic_rebuild_leads_sales_daily();
end
$$;
comment on function public.traffic_rebuild_rollups() is
  'Recomputes traffic_spend_daily, private.traffic_ad_directory, the attribution owner tables and '
  'traffic_leads_daily / traffic_sales_daily (repair after writes with triggers off), and has the '
  'next traffic_resolve_attribution() look at every lead and sale. Returns {spend_daily_rows, '
  'ad_directory_rows, attribution_id_owners, utm_source_owners, leads_daily_rows, '
  'sales_daily_rows}.';
revoke all on function public.traffic_rebuild_rollups() from public, anon, authenticated;
grant execute on function public.traffic_rebuild_rollups() to service_role;
