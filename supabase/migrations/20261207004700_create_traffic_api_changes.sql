-- What traffic-api's response cache asks before serving a body it built earlier: "has any data a
-- data route reads changed since that body's snapshot?" - one tiny select, instead of recomputing
-- and re-serialising (an admin's /metrics is 2.7 MB over 1,000 teams).
--
-- Every writing transaction of a table the routes read leaves its transaction id in
-- private.traffic_api_changes (a statement trigger; insert-only, one row per transaction, so no
-- shared row lock between writers). A cached body remembers the snapshot (pg_current_snapshot())
-- taken BEFORE it was computed; it is still current when no change row's transaction is outside
-- that snapshot (committed after it, or in progress then). That is exact whatever order
-- transactions commit in (a max id or a sequence is not: ids are assigned at start, commits land
-- in another order). traffic_leads_daily / traffic_sales_daily / traffic_spend_daily and the Meta
-- leads rollups change only with traffic_leads / traffic_sales / traffic_facebook_ads_raw /
-- traffic_facebook_ad_actions / traffic_meta_lead_settings (their triggers), so those are covered
-- through them. Rows older than 10 minutes are pruned by the fold job (the cache keeps a
-- body at most 60 s).

create table private.traffic_api_changes (
  xid xid8 primary key,
  changed_at timestamptz not null default now()
);
comment on table private.traffic_api_changes is
  'One row per transaction that wrote a table traffic-api''s data routes read (see '
  'private.traffic_api_note_change()); read by public.traffic_api_changed_since(). Pruned after '
  '10 minutes by private.traffic_fold_daily_rollups().';
revoke all on table private.traffic_api_changes from public, anon, authenticated, service_role;

create or replace function private.traffic_api_note_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_xid text := pg_current_xact_id()::text;
begin
  -- Once per transaction: a webhook writes these tables in several statements. The mark is
  -- transaction-local and undone with a rolled-back subtransaction, together with its row.
  if current_setting('traffic.api_change_noted', true) is distinct from v_xid then
    insert into private.traffic_api_changes (xid) values (v_xid::xid8)
    on conflict (xid) do nothing;
    perform set_config('traffic.api_change_noted', v_xid, true);
  end if;
  return null;
end
$$;
comment on function private.traffic_api_note_change() is
  'Statement trigger: records that the current transaction changed data traffic-api serves.';
revoke all on function private.traffic_api_note_change()
  from public, anon, authenticated, service_role;

do $$
declare
  t text;
begin
  foreach t in array array['traffic_aggregated_metrics', 'traffic_targetologist_settings',
    'traffic_facebook_ads_raw', 'traffic_leads', 'traffic_sales', 'exchange_rates',
    'traffic_facebook_ad_actions', 'traffic_meta_lead_settings']
  loop
    execute format('create trigger traffic_api_change after insert or update or delete '
      'on public.%I for each statement execute function private.traffic_api_note_change()', t);
    execute format('create trigger traffic_api_change_truncate after truncate '
      'on public.%I for each statement execute function private.traffic_api_note_change()', t);
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
    'changed', p_snapshot is null or exists (
      select 1
      from private.traffic_api_changes c
      where c.xid >= pg_snapshot_xmin(p_snapshot::pg_snapshot)
        and not pg_visible_in_snapshot(c.xid, p_snapshot::pg_snapshot)),
    'snapshot', pg_current_snapshot()::text)
$$;
comment on function public.traffic_api_changed_since(text) is
  'traffic-api''s cache check: {changed: whether a transaction outside p_snapshot (a '
  'pg_current_snapshot() text from an earlier call; null = always true) changed data the data '
  'routes read, snapshot: the current snapshot}. Reveals no data.';
revoke all on function public.traffic_api_changed_since(text) from public, anon;
grant execute on function public.traffic_api_changed_since(text) to authenticated, service_role;

-- Change rows older than any cached body (kept at most 60 s) are of no use: pruned every 5 min.
select cron.schedule('traffic-api-changes-prune', '*/5 * * * *',
  $cron$delete from private.traffic_api_changes where changed_at < now() - interval '10 minutes'$cron$);
