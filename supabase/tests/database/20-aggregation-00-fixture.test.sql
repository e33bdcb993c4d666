-- Shared fixture of the 20-aggregation-* files. pg_prove runs files alphabetically, each in its
-- own session, so this file COMMITS tests.agg_fixture(); every other file calls it inside its own
-- transaction and rolls back. Hand-computed expectations are written next to the rows.
--
-- Local days (Asia/Almaty = UTC+5): Fri 2026-11-06, Sat 11-07, Sun 11-08, "today" Mon 11-09.
-- Official rates (KZT per unit): USD 470 on Fri, 480 on Mon; EUR 517 on Fri, 528 on Mon
-- (EUR/USD = 1.1 exactly both days). Nothing is published on Sat/Sun: Friday's rates apply.
--
-- A 'Alpha'   USD account: Fri 100, Sat 50, Mon 10 USD  -> 30d: 160 USD, 47000+23500+4800 = 75300 KZT
-- B 'Bravo'   EUR account: Sun 200, Mon 100 EUR         -> 30d: 220+110 = 330 USD, 103400+52800 = 156200 KZT
-- C 'Charlie' KZT account: Mon 48000 KZT                -> 100 USD, 48000 KZT; no sales (cpa null)
-- D 'Delta'   no spend, one express sale today          -> roas null
-- E 'Echo'    INACTIVE, GBP account without any rate    -> ignored everywhere (must not raise)
begin;
set local client_min_messages = warning;
select plan(1);

create schema if not exists tests;
grant usage on schema tests to anon, authenticated, service_role;

create or replace function tests.agg_user(p_letter text)
returns uuid
language sql
immutable
set search_path = ''
as $$
  select ('00000000-0000-4000-8000-0000000000' || lpad(lower(p_letter), 2, '0'))::uuid
$$;
comment on function tests.agg_user(text) is
  'Fixed user id of fixture targetologist A..E (and U, an admin) of tests.agg_fixture().';

create or replace function tests.agg_fixture()
returns void
language plpgsql
set search_path = ''
as $$
declare
  a uuid := tests.agg_user('a');
  b uuid := tests.agg_user('b');
  c uuid := tests.agg_user('c');
  d uuid := tests.agg_user('d');
  e uuid := tests.agg_user('e');
begin
  -- Isolation from whatever other tests committed: the caller's transaction rolls this back.
  delete from public.traffic_aggregated_metrics;
  delete from public.traffic_sales;
  delete from public.traffic_leads;
  delete from public.traffic_facebook_ads_raw;
  delete from public.traffic_targetologist_settings;
  delete from public.exchange_rates;

  insert into auth.users (id, email, raw_app_meta_data)
  select tests.agg_user(x), 'agg-' || x || '@pgtap.test',
    case when x = 'f' then '{"traffic_role": "admin"}' else '{}' end::jsonb
  from unnest(array['a', 'b', 'c', 'd', 'e', 'f']) as x
  on conflict (id) do nothing;

  insert into public.traffic_targetologist_settings (user_id, team_name, utm_sources, is_active)
  values (a, 'Alpha', '{fb_alpha}', true), (b, 'Bravo', '{}', true),
    (c, 'Charlie', '{}', true), (d, 'Delta', '{Delta}', true), (e, 'Echo', '{echo}', false);

  insert into public.exchange_rates (rate_date, currency, rate_kzt, quant, source) values
    ('2026-11-06', 'USD', 470, 1, 'test'), ('2026-11-09', 'USD', 480, 1, 'test'),
    ('2026-11-06', 'EUR', 517, 1, 'test'), ('2026-11-09', 'EUR', 528, 1, 'test');

  insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id, campaign_id,
    adset_id, ad_id, stat_date, spend, account_currency, impressions, clicks, reach) values
    (a, 'Alpha', 'act_a', 'c-a1', 'as-a1', 'ad-a1', '2026-11-06', 60, 'USD', 6000, 120, 5000),
    (a, 'Alpha', 'act_a', 'c-a1', 'as-a1', 'ad-a2', '2026-11-06', 40, 'USD', 4000, 80, 3000),
    (a, 'Alpha', 'act_a', 'c-a1', 'as-a1', 'ad-a1', '2026-11-07', 50, 'USD', 5000, 100, 4000),
    (a, 'Alpha', 'act_a', 'c-a1', 'as-a1', 'ad-a1', '2026-11-09', 10, 'USD', 1000, 20, 900),
    (b, 'Bravo', 'act_b', 'c-b1', 'as-b1', 'ad-b1', '2026-11-08', 200, 'EUR', 8000, 160, 7000),
    (b, 'Bravo', 'act_b', 'c-b1', 'as-b1', 'ad-b1', '2026-11-09', 100, 'EUR', 2000, 0, 1500),
    (c, 'Charlie', 'act_c', 'c-c1', 'as-c1', 'ad-c1', '2026-11-09', 48000, 'KZT', 0, 0, 0),
    (c, 'Charlie', 'act_c', 'c-c1', 'as-c1', 'ad-c1', '2026-11-08', 0, 'KZT', 10, 0, 10),
    (e, 'Echo', 'act_e', 'c-e1', 'as-e1', 'ad-e1', '2026-11-09', 999, 'GBP', 100, 1, 90);

  -- Leads. 19:00 UTC is already the next day in Almaty.
  insert into public.traffic_leads (amocrm_lead_id, product, utm_source, utm_campaign,
    utm_content, utm_term, created_at, is_deleted) values
    (1, 'challenge3d', 'facebook', null, 'ad-a1', null, '2026-11-08 19:00:00+00', false), -- A today 00:00
    (2, 'express', 'facebook', 'c-a1', null, null, '2026-11-08 18:59:59+00', false),     -- A Sun 23:59:59
    (3, 'intensive1d', 'facebook', null, null, 'as-a1', '2026-11-09 18:30:00+00', false), -- A today 23:30
    (4, 'challenge3d', 'facebook', 'c-a1', null, null, '2026-11-09 19:30:00+00', false), -- A tomorrow 00:30
    (5, 'challenge3d', 'facebook', 'c-a1', null, null, '2026-11-09 10:00:00+00', true),  -- deleted
    (6, 'challenge3d', 'FB_Alpha', null, null, null, '2026-11-06 12:00:00+00', false),   -- A by utm_source
    (7, 'express', 'facebook', 'c-b1', null, null, '2026-11-09 05:00:00+00', false),     -- B today
    (8, 'challenge3d', 'facebook', 'c-late', null, null, '2026-11-09 06:00:00+00', false), -- unattributed
    (9, 'express', 'echo', null, null, null, '2026-11-09 07:00:00+00', false);           -- E (inactive)

  -- Sales (KZT), net of reversals, on their local day.
  insert into public.traffic_sales (amocrm_lead_id, product, sale_type, sale_amount, sold_at,
    status, reversed_at, utm_source, utm_campaign, utm_content) values
    (101, 'challenge3d', 'prepayment', 10000, '2026-11-09 18:30:00+00', 'active', null, 'facebook', 'c-a1', null), -- A today 23:30
    (102, 'challenge3d', 'full', 50000, '2026-11-09 19:30:00+00', 'active', null, 'facebook', 'c-a1', null),       -- A tomorrow 00:30
    (103, 'express', 'full', 20000, '2026-11-08 19:30:00+00', 'active', null, 'facebook', null, 'ad-a2'),         -- A today 00:30
    (104, 'intensive1d', 'full', 30000, '2026-11-07 10:00:00+00', 'active', null, 'facebook', 'c-a1', null),      -- A Sat
    (105, 'challenge3d', 'full', 60000, '2026-11-06 10:00:00+00', 'reversed', '2026-11-08 10:00:00+00', 'facebook', 'c-a1', null),
    (106, 'challenge3d', 'full', 40000, '2026-11-08 18:30:00+00', 'active', null, 'facebook', 'c-a1', null),      -- A Sun 23:30
    (107, 'express', 'full', 15000, '2026-11-09 08:00:00+00', 'active', null, 'DELTA', null, null),               -- D today
    (108, 'express', 'full', 5000, '2026-11-09 09:00:00+00', 'active', null, null, null, null);                  -- unattributed
end
$$;
comment on function tests.agg_fixture() is
  'Replaces (inside the caller''s transaction) the aggregation tables'' rows with the hand-computed '
  'fixture described in 20-aggregation-00-fixture.test.sql.';
grant execute on all functions in schema tests to anon, authenticated, service_role;

select has_function('tests', 'agg_fixture', 'the aggregation fixture is installed');
select * from finish();
commit;
