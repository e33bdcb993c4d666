-- The attributed conversions per entity and day (migration 20261207135500) stay equal to the
-- per-request computation (every counted lead and sale attributed to its entity by
-- private.traffic_attribution_entity, grouped per user, Asia/Almaty day and entity) after random
-- writes: ads appearing and disappearing (the ad directory changes under the conversions), leads
-- and sales inserted, replayed (upserts), re-attributed (user_id and UTM values rewritten),
-- deleted, soft-deleted, reversed, re-priced; a write with triggers off repaired by
-- traffic_rebuild_rollups. And GET /campaigns read from them (Asia/Almaty) answers exactly what
-- the per-conversion path answers (the same function in another spelling of the zone), for an
-- admin and, under RLS, for a targetologist, at each level.
begin;
select plan(14);

select setseed(0.25);
select tests.create_user('ec_t' || i) from generate_series(1, 4) as i;
select tests.create_user('ec_none');
select tests.create_user('ec_only');
select tests.create_user('ec_admin', true);
insert into public.traffic_targetologist_settings (user_id, team_name, is_active)
select tests.uid('ec_t' || i), 'EC team ' || i, i <> 4 from generate_series(1, 4) as i;

-- The ids in play: ads 0-7 of each user under adsets and campaigns some users share (the same
-- campaign id under two users must count for each user's own ads only).
create function pg_temp.who(p_with_null boolean) returns uuid language sql volatile as $$
  select case when p_with_null and random() < 0.1 then null
    when random() < 0.1 then tests.uid('ec_none')
    else tests.uid('ec_t' || (1 + floor(random() * 4))::int) end
$$;
create function pg_temp.some_id() returns text language sql volatile as $$
  select case floor(random() * 4)::int
    when 0 then 'ec_ad_' || floor(random() * 8)::int
    when 1 then 'ec_as_' || floor(random() * 4)::int
    when 2 then 'ec_c_' || floor(random() * 3)::int
    else case when random() < 0.5 then 'ec_unknown' end end
$$;
create function pg_temp.round_of_writes(p_round int) returns void language plpgsql as $$
begin
  -- Ad rows (new ads, replays of the same keys with another adset or campaign).
  insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id, campaign_id,
    campaign_name, adset_id, adset_name, ad_id, ad_name, stat_date, spend, account_currency,
    impressions, clicks, reach)
  select g.u, 'x', 'act_ec', 'ec_c_' || (g.a % 3), 'c ' || p_round, 'ec_as_' || (g.a % 4),
    's ' || p_round, 'ec_ad_' || g.a, 'ad ' || p_round, '2034-04-01'::date + g.d, 0, 'USD',
    10, 1, 5
  from (select distinct on (u, a, d) *
        from (select pg_temp.who(false) as u, floor(random() * 8)::int as a,
                floor(random() * 15)::int as d
              from generate_series(1, 12)) as r) as g
  on conflict (user_id, ad_id, stat_date) do update
    set campaign_id = excluded.campaign_id, adset_id = excluded.adset_id;
  delete from public.traffic_facebook_ads_raw
  where account_id = 'act_ec' and random() < 0.15;
  -- Leads: new ones, and replays of earlier ones with other values (the webhook's upsert path).
  insert into public.traffic_leads (amocrm_lead_id, product, utm_source, utm_content, utm_term,
    utm_campaign, user_id, created_at)
  select distinct on (k.id) k.id, 'express', 'facebook', pg_temp.some_id(), pg_temp.some_id(),
    pg_temp.some_id(), pg_temp.who(true),
    '2034-04-01 00:00+05'::timestamptz + random() * interval '16 days'
  from (select 250000000 + floor(random() * (p_round * 40))::int as id
        from generate_series(1, 40)) as k
  on conflict (amocrm_lead_id) do update
    set utm_content = excluded.utm_content, user_id = excluded.user_id,
      created_at = excluded.created_at;
  update public.traffic_leads set is_deleted = not is_deleted
  where amocrm_lead_id between 250000000 and 250999999 and random() < 0.1;
  update public.traffic_leads set user_id = pg_temp.who(true)
  where amocrm_lead_id between 250000000 and 250999999 and random() < 0.1;
  update public.traffic_leads set utm_term = pg_temp.some_id(), utm_campaign = pg_temp.some_id()
  where amocrm_lead_id between 250000000 and 250999999 and random() < 0.1;
  update public.traffic_leads set status_id = 1
  where amocrm_lead_id between 250000000 and 250999999 and random() < 0.2;
  delete from public.traffic_leads
  where amocrm_lead_id between 250000000 and 250999999 and random() < 0.03;
  -- Sales of some leads, reversed, re-priced, re-attributed, deleted.
  insert into public.traffic_sales (amocrm_lead_id, product, sale_type, sale_amount, sold_at,
    status, utm_source, utm_content, utm_term, utm_campaign, user_id)
  select l.amocrm_lead_id, 'express', 'full', round((random() * 90000)::numeric, 2),
    l.created_at + interval '5 hours', 'active', 'facebook', l.utm_content, l.utm_term,
    l.utm_campaign, l.user_id
  from public.traffic_leads l
  where l.amocrm_lead_id between 250000000 and 250999999 and random() < 0.3
  on conflict (amocrm_lead_id) do update set sale_amount = excluded.sale_amount;
  update public.traffic_sales set status = case status when 'active' then 'reversed'
    else 'active' end, reversed_at = case status when 'active' then now() end
  where amocrm_lead_id between 250000000 and 250999999 and random() < 0.1;
  update public.traffic_sales set user_id = pg_temp.who(true), utm_content = pg_temp.some_id()
  where amocrm_lead_id between 250000000 and 250999999 and random() < 0.1;
  delete from public.traffic_sales
  where amocrm_lead_id between 250000000 and 250999999 and random() < 0.03;
end
$$;

-- The reference: each counted conversion attributed now, grouped as the table keeps it.
create function pg_temp.reference()
returns table (user_id uuid, day date, campaign_id text, adset_id text, ad_id text, leads bigint,
  sales bigint, revenue numeric)
language sql stable as $$
  select c.user_id, c.day, m.campaign_id, m.adset_id, m.ad_id,
    count(*) filter (where c.is_lead), count(*) filter (where not c.is_lead), sum(c.amount)
  from (
    select l.user_id, (l.created_at at time zone 'Asia/Almaty')::date as day, l.utm_content,
      l.utm_term, l.utm_campaign, true as is_lead, 0::numeric as amount
    from public.traffic_leads l where not l.is_deleted and l.user_id is not null
    union all
    select s.user_id, (s.sold_at at time zone 'Asia/Almaty')::date, s.utm_content, s.utm_term,
      s.utm_campaign, false, s.sale_amount
    from public.traffic_sales s where s.status = 'active' and s.user_id is not null
  ) as c
  cross join lateral private.traffic_attribution_entity(c.user_id, c.utm_content, c.utm_term,
    c.utm_campaign) as m
  where m.campaign_id is not null
  group by 1, 2, 3, 4, 5
$$;
create function pg_temp.differ() returns bigint language sql stable as $$
  select count(*) from (
    (select e.user_id, e.day, e.campaign_id, e.adset_id, e.ad_id, e.leads::bigint,
       e.sales::bigint, e.revenue
     from public.traffic_entity_conversions_daily e
     except all select * from pg_temp.reference())
    union all
    (select * from pg_temp.reference()
     except all
     select e.user_id, e.day, e.campaign_id, e.adset_id, e.ad_id, e.leads::bigint,
       e.sales::bigint, e.revenue
     from public.traffic_entity_conversions_daily e)
  ) as d
$$;

select pg_temp.round_of_writes(1);
select pg_temp.round_of_writes(2);
select pg_temp.round_of_writes(3);

-- 1-3
select is(pg_temp.differ(), 0::bigint,
  'after writes, replays, deletes and ad changes: the rollup = the per-request attribution');
select is((select count(*) from public.traffic_entity_conversions_daily
           where leads = 0 and sales = 0), 0::bigint, 'no emptied key is left');
select ok((select sum(leads) > 0 and sum(sales) > 0
                  and bool_or(adset_id is null) and bool_or(ad_id is not null)
           from public.traffic_entity_conversions_daily),
  'the comparison is not of zeros (leads, sales, campaign-level and ad-level matches)');

-- 4: ads appear that earlier conversions name (the directory changes under them), others go.
insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id, campaign_id,
  campaign_name, adset_id, adset_name, ad_id, ad_name, stat_date, spend, account_currency,
  impressions, clicks, reach)
select tests.uid('ec_t' || i), 'x', 'act_ec', 'ec_c_9', 'c', 'ec_as_9', 's', 'ec_unknown', 'ad',
  '2034-04-02', 0, 'USD', 1, 1, 1
from generate_series(1, 4) as i;
delete from public.traffic_facebook_ads_raw where account_id = 'act_ec' and ad_id = 'ec_ad_3';
select is(pg_temp.differ(), 0::bigint,
  'after an id the conversions name appears in, and another leaves, their users'' ads');

-- 5: re-attribution as the aggregation runs it.
select public.traffic_resolve_attribution();
select pg_temp.round_of_writes(4);
select is(pg_temp.differ(), 0::bigint, 'after re-attribution and more writes');

-- 6: a write with triggers off (a restore), repaired by the rebuild.
set local session_replication_role = replica;
update public.traffic_entity_conversions_daily set leads = leads + 7
where ctid = (select ctid from public.traffic_entity_conversions_daily limit 1);
insert into public.traffic_leads (amocrm_lead_id, product, utm_source, utm_content, user_id,
  created_at)
values (250999999, 'express', 'facebook', 'ec_ad_1', tests.uid('ec_t1'), '2034-04-05 12:00+05');
set local session_replication_role = origin;
select isnt(pg_temp.differ(), 0::bigint, 'a write with triggers off leaves the rollup off');
select public.traffic_rebuild_rollups();
select is(pg_temp.differ(), 0::bigint, 'traffic_rebuild_rollups repairs it');

-- 8-13: GET /campaigns from the rollup (Asia/Almaty) = the per-conversion path ('asia/almaty',
-- the same zone spelled otherwise), shaped as served, in order.
create function pg_temp.paths_agree(p_from date, p_to date, p_level text, p_what text)
returns text language sql as $$
  select results_eq(
    format('select * from public.traffic_api_campaigns(%L, %L, %L, %L, null)', p_from, p_to,
      'Asia/Almaty', p_level),
    format('select * from public.traffic_api_campaigns(%L, %L, %L, %L, null)', p_from, p_to,
      'asia/almaty', p_level),
    p_what)
$$;
select tests.authenticate_as(tests.uid('ec_admin'), true);
select pg_temp.paths_agree('2034-04-01', '2034-04-16', 'campaign',
  'admin, campaigns: the rollup answers as the per-conversion path');
select pg_temp.paths_agree('2034-04-03', '2034-04-09', 'adset',
  'admin, adsets, part of the range: the same');
select pg_temp.paths_agree('2034-04-01', '2034-04-16', 'ad', 'admin, ads: the same');
select cmp_ok((select sum(leads) + sum(sales) from public.traffic_api_campaigns('2034-04-01',
  '2034-04-16', 'Asia/Almaty', 'ad', null)), '>', 0::numeric,
  'the admin''s answer has conversions');
select tests.authenticate_as(tests.uid('ec_t2'));
select pg_temp.paths_agree('2034-04-01', '2034-04-16', 'ad',
  'a targetologist (RLS), ads: the same');
select is((select count(*) from public.traffic_entity_conversions_daily
           where user_id <> tests.uid('ec_t2')), 0::bigint,
  'a targetologist reads only their own team''s rows');

-- 14: a write of the rollup reaches the response cache's change log for its team.
reset role;
insert into public.traffic_entity_conversions_daily (user_id, day, campaign_id, leads)
values (tests.uid('ec_only'), '2034-04-01', 'ec_c_0', 1);
select ok((select c.users @> array[tests.uid('ec_only')] from private.traffic_api_changes c
           where c.xid = pg_current_xact_id()),
  'a write of traffic_entity_conversions_daily is a change for its team');

select * from finish();
rollback;
