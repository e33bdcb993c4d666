-- One summing definition per delta rollup (issue 16): traffic_leads_daily and traffic_sales_daily
-- may hold several rows per (user_id, day) until private.traffic_fold_daily_rollups() folds them
-- (20261207004500), so every reader must sum. These views are that sum, per (user_id, day), and
-- readers use them instead of the tables, so none can forget it. A reader's predicate on user_id
-- or day is pushed below the GROUP BY (both are grouping columns) onto the tables' indexes
-- ((user_id, day), (day)). security_invoker: the caller's RLS on the rollups applies.
-- traffic_spend_daily and traffic_meta_leads_daily keep one row per key (primary keys, exact
-- deltas under the row lock): a plain read of them is already the sum.

create view private.traffic_leads_by_day with (security_invoker = true) as
  select d.user_id, d.day, sum(d.leads)::bigint as leads,
    sum(d.challenge3d_leads)::bigint as challenge3d_leads,
    sum(d.express_leads)::bigint as express_leads,
    sum(d.intensive1d_leads)::bigint as intensive1d_leads
  from public.traffic_leads_daily d
  group by d.user_id, d.day;
comment on view private.traffic_leads_by_day is
  'traffic_leads_daily summed per (user_id, day): the lead rollup with its unfolded delta rows '
  'added up. What every reader of the lead rollup reads. user_id null = unattributed.';
revoke all on private.traffic_leads_by_day from public, anon;
grant select on private.traffic_leads_by_day to authenticated, service_role;

create view private.traffic_sales_by_day with (security_invoker = true) as
  select d.user_id, d.day,
    sum(d.challenge3d_prepayments)::bigint as challenge3d_prepayments,
    sum(d.challenge3d_prepayment_revenue) as challenge3d_prepayment_revenue,
    sum(d.challenge3d_full_payments)::bigint as challenge3d_full_payments,
    sum(d.challenge3d_full_revenue) as challenge3d_full_revenue,
    sum(d.express_sales)::bigint as express_sales, sum(d.express_revenue) as express_revenue,
    sum(d.intensive1d_sales)::bigint as intensive1d_sales,
    sum(d.intensive1d_revenue) as intensive1d_revenue
  from public.traffic_sales_daily d
  group by d.user_id, d.day;
comment on view private.traffic_sales_by_day is
  'traffic_sales_daily summed per (user_id, day): the active-sales rollup with its unfolded delta '
  'rows added up. What every reader of the sale rollup reads. user_id null = unattributed.';
revoke all on private.traffic_sales_by_day from public, anon;
grant select on private.traffic_sales_by_day to authenticated, service_role;
