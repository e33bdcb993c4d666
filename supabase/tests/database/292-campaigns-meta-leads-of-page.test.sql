-- GET /campaigns reads the Meta leads of its rows' own campaigns only (20261208053800): the
-- ad-days of the range of each row's (user, campaign), each ad-day's Meta leads by its key.
-- Before, private.traffic_api_campaigns_top read every Meta-lead ad-day of the range the caller
-- could see, and for a targetologist (the row level security policy's "own or admin" gives no
-- index a user_id to use) every Meta-lead ad-day of every team and every day: a read that grew
-- with the history. The Meta leads and gaps each row answers are unchanged: per level, per team
-- (two teams share a campaign id), the range's days only.
begin;
select plan(7);
select tests.create_fixture();

-- Team a: campaign ml_c1 (two ads, three days of the range, one day before it) and 400 days of
-- an older campaign's Meta leads on 10 ads (its history, 4,000 ad-days); team b: the same
-- campaign id, one ad-day.
insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id, campaign_id,
  adset_id, ad_id, stat_date, spend, synced_at, actions, actions_synced_at)
select u, 'pgtap', 'ml_acc', c, s, a, d::date, spend, now(),
  jsonb_build_object('lead', jsonb_build_array(n, null)), now()
from (values
  (tests.uid('a'), 'ml_c1', 'ml_as1', 'ml_ad1', '2000-07-01', 10, 2),
  (tests.uid('a'), 'ml_c1', 'ml_as1', 'ml_ad1', '2000-07-02', 10, 3),
  (tests.uid('a'), 'ml_c1', 'ml_as1', 'ml_ad1', '2000-07-03', 10, 4),
  (tests.uid('a'), 'ml_c1', 'ml_as1', 'ml_ad1', '2000-06-30', 10, 100),
  (tests.uid('a'), 'ml_c1', 'ml_as2', 'ml_ad2', '2000-07-02', 5, 7),
  (tests.uid('b'), 'ml_c1', 'ml_bs1', 'ml_bad1', '2000-07-02', 20, 11)
) as v(u, c, s, a, d, spend, n)
union all
select tests.uid('a'), 'pgtap', 'ml_acc', 'ml_old', 'ml_as_old', 'ml_ad_old' || k,
  date '2000-06-29' - i, 1, now(), '{"lead": [1, null]}'::jsonb, now()
from generate_series(0, 399) as i
cross join generate_series(1, 10) as k;
insert into public.traffic_leads (amocrm_lead_id, user_id, utm_content, created_at)
values (992000001, tests.uid('a'), 'ml_ad1', '2000-07-02 12:00+05'::timestamptz);
analyze public.traffic_facebook_ads_raw;
analyze public.traffic_meta_leads_by_ad;

-- Rows of traffic_meta_leads_by_ad this transaction has read (sequentially or by index).
create function pg_temp.meta_rows_read() returns bigint language sql as $$
  select coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) from pg_stat_xact_user_tables
  where relid = 'public.traffic_meta_leads_by_ad'::regclass
$$;
create function pg_temp.meta(p_level text, p_user_id uuid default null)
returns text
language sql
as $$
  select string_agg(concat_ws(' ', c.campaign_id, c.adset_id, c.ad_id, c.spend_usd, c.leads,
      c.meta_leads, c.meta_leads_gap, c.meta_leads_gap_pct), ' | '
      order by c.spend_usd::numeric desc, c.campaign_id, c.adset_id, c.ad_id)
  from public.traffic_api_campaigns('2000-07-01', '2000-07-03', 'Asia/Almaty', p_level,
    p_user_id) as c
  where c.campaign_id like 'ml_%'
$$;
grant execute on all functions in schema pg_temp to authenticated;

select tests.authenticate_as(tests.uid('a'));
select set_config('pgtap.read', pg_temp.meta_rows_read()::text, true);
create temporary table a_page on commit drop as
select ('[' || (public.traffic_api_campaigns_answer('2000-07-01', '2000-07-03', 'Asia/Almaty',
  'campaign', null, 100, 0)::jsonb ->> 'data') || ']')::jsonb as data;
select cmp_ok(pg_temp.meta_rows_read() - current_setting('pgtap.read')::bigint, '<=', 10::bigint,
  'team a''s page (one campaign, 4 Meta-lead ad-days in the range) reads at most 10 rows of '
  'Meta leads, not the 4,005 of its history nor team b''s');
select is(
  (select jsonb_path_query_array(data, '$[*] ? (@.campaign_id like_regex "^ml_").meta_leads')::text
   from a_page),
  '[16]', 'and answers its campaign''s Meta leads of the range: 2 + 3 + 4 + 7');
select is(pg_temp.meta('campaign'),
  'ml_c1 35.00 1 16 15 93.75',
  'campaign level: Meta leads 16, gap 15 over 1 CRM lead');
select is(pg_temp.meta('adset'),
  'ml_c1 ml_as1 30.00 1 9 8 88.89 | ml_c1 ml_as2 5.00 0 7 7 100.00',
  'adset level: each adset''s Meta leads of the range');
select is(pg_temp.meta('ad'),
  'ml_c1 ml_as1 ml_ad1 30.00 1 9 8 88.89 | ml_c1 ml_as2 ml_ad2 5.00 0 7 7 100.00',
  'ad level: each ad''s');

select tests.authenticate_as(tests.uid('admin'), true);
select is(pg_temp.meta('campaign'),
  'ml_c1 35.00 1 16 15 93.75 | ml_c1 20.00 0 11 11 100.00',
  'an admin: the two teams'' campaign ml_c1 each with its own Meta leads');
select is(pg_temp.meta('campaign', tests.uid('b')),
  'ml_c1 20.00 0 11 11 100.00',
  'an admin''s read of team b alone');

select * from finish();
rollback;
