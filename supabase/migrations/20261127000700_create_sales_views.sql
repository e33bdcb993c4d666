-- The seed reads sales per product from challenge3d_sales, express_course_sales and
-- intensive1d_sales (sale_type, sale_amount). They are views over the ledger's ACTIVE rows:
-- a reversed sale disappears from them. security_invoker makes the caller's RLS apply (a plain
-- view would run as its owner and show every row to everyone). Read-only for every API role:
-- writes go to traffic_sales.

create view public.challenge3d_sales with (security_invoker = true) as
  select id, amocrm_lead_id, sale_type, sale_amount, currency, sold_at, user_id,
    utm_source, utm_medium, utm_campaign, utm_content, utm_term, fbclid,
    attributed_by, pipeline_id, status_id, created_at, updated_at
  from public.traffic_sales
  where product = 'challenge3d' and status = 'active';
comment on view public.challenge3d_sales is
  'Active challenge3d sales from traffic_sales (seed contract); RLS of traffic_sales applies.';
revoke all on table public.challenge3d_sales from anon, authenticated, service_role;
grant select on table public.challenge3d_sales to authenticated, service_role;

create view public.express_course_sales with (security_invoker = true) as
  select id, amocrm_lead_id, sale_type, sale_amount, currency, sold_at, user_id,
    utm_source, utm_medium, utm_campaign, utm_content, utm_term, fbclid,
    attributed_by, pipeline_id, status_id, created_at, updated_at
  from public.traffic_sales
  where product = 'express' and status = 'active';
comment on view public.express_course_sales is
  'Active express sales from traffic_sales (seed contract); RLS of traffic_sales applies.';
revoke all on table public.express_course_sales from anon, authenticated, service_role;
grant select on table public.express_course_sales to authenticated, service_role;

create view public.intensive1d_sales with (security_invoker = true) as
  select id, amocrm_lead_id, sale_type, sale_amount, currency, sold_at, user_id,
    utm_source, utm_medium, utm_campaign, utm_content, utm_term, fbclid,
    attributed_by, pipeline_id, status_id, created_at, updated_at
  from public.traffic_sales
  where product = 'intensive1d' and status = 'active';
comment on view public.intensive1d_sales is
  'Active intensive1d sales from traffic_sales (seed contract); RLS of traffic_sales applies.';
revoke all on table public.intensive1d_sales from anon, authenticated, service_role;
grant select on table public.intensive1d_sales to authenticated, service_role;
