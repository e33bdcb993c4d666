/**
 * Synthetic data for the aggregation benchmark, generated in SQL (generate_series): targetologists,
 * ad-day rows spread over `days` days, leads and sales whose UTM values hit every attribution rule,
 * and official USD/EUR rates on weekdays only (weekends use Friday's rate).
 *
 * @module
 */
import type { postgres } from "../../scripts/lib/deps.ts";

type Sql = ReturnType<typeof postgres>;

export interface Scale {
  users: number;
  rawRows: number;
  leads: number;
  sales: number;
  days: number;
}

/** Removes every row the benchmark wrote (and anything else in the aggregation tables). */
export async function clearData(sql: Sql): Promise<void> {
  await sql.unsafe(`
    truncate public.traffic_aggregated_metrics, public.traffic_sales, public.traffic_leads,
      public.traffic_facebook_ads_raw, public.exchange_rates;
    delete from public.traffic_targetologist_settings;
    delete from auth.users where email like 'bench-%@bench.test';
  `);
}

/** Generates one data set of `scale` ending today (Asia/Almaty). */
export async function generate(sql: Sql, s: Scale): Promise<void> {
  const ads = Math.max(1, Math.round(s.rawRows / (s.users * s.days)));
  await sql.unsafe(`
    create temp table bench_users on commit drop as
      select i, ('00000000-0000-4000-a000-' || lpad(to_hex(i), 12, '0'))::uuid as id,
        'Team ' || (i % 20) as team
      from generate_series(1, ${s.users}) as i;
    insert into auth.users (id, email) select id, 'bench-' || i || '@bench.test' from bench_users;
    insert into public.traffic_targetologist_settings (user_id, team_name, utm_sources)
      select id, team, array['src_' || i] from bench_users;

    insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id, campaign_id,
      adset_id, ad_id, stat_date, spend, account_currency, impressions, clicks, reach)
    select u.id, u.team, 'act_' || u.i, 'c_' || u.i || '_' || (a % 2), 'as_' || u.i || '_' || (a % 5),
      'ad_' || u.i || '_' || a, (now() at time zone 'Asia/Almaty')::date - d,
      round((random() * 100)::numeric, 2),
      case u.i % 10 when 0 then 'EUR' when 1 then 'KZT' else 'USD' end,
      (random() * 10000)::int, (random() * 200)::int, (random() * 8000)::int
    from bench_users u
    cross join generate_series(0, ${s.days - 1}) as d
    cross join generate_series(1, ${ads}) as a;

    -- Rates on weekdays only, for the whole range and a week before it.
    insert into public.exchange_rates (rate_date, currency, rate_kzt, source)
    select day::date, cur, case cur when 'USD' then 470 + (n % 13) else (470 + (n % 13)) * 1.1 end,
      'bench'
    from generate_series((now() at time zone 'Asia/Almaty')::date - ${s.days + 7},
      (now() at time zone 'Asia/Almaty')::date, interval '1 day') with ordinality as g(day, n)
    cross join (values ('USD'), ('EUR')) as c(cur)
    where extract(isodow from day) < 6;

    -- Leads: 70% name an ad in utm_content, 15% a campaign, 10% a utm_source, 5% nothing known.
    insert into public.traffic_leads (amocrm_lead_id, product, utm_source, utm_campaign,
      utm_content, created_at)
    select k, (array['challenge3d', 'express', 'intensive1d'])[1 + k % 3],
      case when k % 20 between 17 and 18 then 'src_' || u else 'facebook' end,
      case when k % 20 between 14 and 16 then 'c_' || u || '_' || (k % 2) end,
      case when k % 20 < 14 then 'ad_' || u || '_' || (1 + k % ${ads}) end,
      now() - random() * interval '${s.days} days'
    from generate_series(1, ${s.leads}) as k
    cross join lateral (select 1 + (k::bigint * 7919) % ${s.users} as u) as pick;

    -- Sales: deals of the first leads; 5% reversed.
    insert into public.traffic_sales (amocrm_lead_id, product, sale_type, sale_amount, sold_at,
      status, reversed_at, utm_source, utm_campaign, utm_content)
    select l.amocrm_lead_id, l.product,
      case when l.product = 'challenge3d' and l.amocrm_lead_id % 2 = 0 then 'prepayment'
        else 'full' end,
      (10000 + (l.amocrm_lead_id % 50) * 1000)::numeric, l.created_at + interval '1 hour',
      case when l.amocrm_lead_id % 20 = 0 then 'reversed' else 'active' end,
      case when l.amocrm_lead_id % 20 = 0 then l.created_at + interval '2 days' end,
      l.utm_source, l.utm_campaign, l.utm_content
    from public.traffic_leads l
    where l.amocrm_lead_id <= ${s.sales};
  `);
  await sql.unsafe("vacuum analyze");
}

/**
 * A year of a busy team's data, for the webhook and traffic-api benchmarks (issue 11): `users`
 * targetologists (ids and emails as `generate`'s, so `clearData` removes them), `ads` distinct ads
 * (each of its owner's `ads / users`) that each run `adDays / ads` consecutive days somewhere in
 * the last `days`, `leads` leads attributed to an ad of their owner (utm_content = ad id), the
 * first `sales` of them sold, weekday USD/EUR rates, and the stored dashboard rows (3 periods per
 * targetologist plus the team totals) with long numeric fractions, as the aggregation writes them.
 */
export interface YearScale {
  users: number;
  ads: number;
  adDays: number;
  leads: number;
  sales: number;
  days: number;
}

/** The volume every webhook/API benchmark loads first (GUIDE: ≥ 50k ads, 2M ad-day rows, …). */
export const YEAR_VOLUME: YearScale = {
  users: 1000,
  ads: 50_000,
  adDays: 2_000_000,
  leads: 300_000,
  sales: 30_000,
  days: 365,
};

/** The same teams with a week of small data: 1 ad each, 1,000 leads, 100 sales. */
export const SMALL_DATA: YearScale = {
  users: 1000,
  ads: 1000,
  adDays: 7000,
  leads: 1000,
  sales: 100,
  days: 7,
};

/**
 * The webhook bench's "empty database": the same 1,000 teams with the 5,000 ads the bench's
 * bodies name (one ad-day each), and no history: no other ad-days, no leads, no sales (only the
 * small tables generateYear always fills: rates, a stored metrics row per team and period). A
 * body naming one of these ads is attributed as at volume (the same rule, the same per-team
 * writes); what the volume phase adds is the data around it.
 */
export const WEBHOOK_ADS_ONLY: YearScale = {
  users: 1000,
  ads: 5000,
  adDays: 5000,
  leads: 0,
  sales: 0,
  days: 1,
};

/** The id `generate`/`generateYear` give bench user `i` (1-based). */
export function benchUserId(i: number): string {
  return `00000000-0000-4000-a000-${i.toString(16).padStart(12, "0")}`;
}

/** Generates `s` (after `clearData`), ending today in Asia/Almaty. */
export async function generateYear(sql: Sql, s: YearScale): Promise<void> {
  const perUser = Math.max(1, Math.round(s.ads / s.users));
  const run = Math.max(1, Math.min(s.days, Math.round(s.adDays / (perUser * s.users))));
  const today = `(now() at time zone 'Asia/Almaty')::date`;
  await sql.unsafe(`
    create temp table bench_users on commit drop as
      select i, ('00000000-0000-4000-a000-' || lpad(to_hex(i), 12, '0'))::uuid as id,
        'Team ' || lpad(i::text, 4, '0') as team
      from generate_series(1, ${s.users}) as i;
    insert into auth.users (id, email) select id, 'bench-' || i || '@bench.test' from bench_users;
    insert into public.traffic_targetologist_settings (user_id, team_name, utm_sources)
      select id, team, array['src_' || i] from bench_users;

    -- The ad-day rows go in with triggers off, then the rollup and the ad directory are rebuilt
    -- once (traffic_rebuild_rollups, the repair path): the same tables, in a fraction of the time.
    set local session_replication_role = replica;
    insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id, campaign_id,
      campaign_name, adset_id, adset_name, ad_id, ad_name, stat_date, spend, account_currency,
      impressions, clicks, reach)
    select u.id, u.team, 'act_' || u.i, 'c_' || u.i || '_' || (a % 5), 'Campaign ' || (a % 5),
      'as_' || u.i || '_' || (a % 10), 'Ad set ' || (a % 10), 'ad_' || u.i || '_' || a,
      'Ad ' || a, ${today} - (st.start + d),
      round((random() * 100)::numeric, 2),
      case u.i % 10 when 0 then 'EUR' when 1 then 'KZT' else 'USD' end,
      (random() * 10000)::int, (random() * 200)::int, (random() * 8000)::int
    from bench_users u
    cross join generate_series(1, ${perUser}) as a
    cross join lateral (select ((u.i * 7 + a * 13) % ${s.days - run + 1}) as start) as st
    cross join generate_series(0, ${run - 1}) as d;
    set local session_replication_role = origin;
    select public.traffic_rebuild_rollups();

    insert into public.exchange_rates (rate_date, currency, rate_kzt, source)
    select day::date, cur, case cur when 'USD' then 470 + (n % 13) else (470 + (n % 13)) * 1.1 end,
      'bench'
    from generate_series(${today} - ${s.days + 7}, ${today}, interval '1 day')
      with ordinality as g(day, n)
    cross join (values ('USD'), ('EUR')) as c(cur)
    where extract(isodow from day) < 6
    on conflict do nothing;

    insert into public.traffic_leads (amocrm_lead_id, product, utm_source, utm_content, user_id,
      attributed_by, attributed_at, created_at)
    select k, (array['challenge3d', 'express', 'intensive1d'])[1 + k % 3], 'facebook',
      'ad_' || pick.u || '_' || (1 + k % ${perUser}),
      ('00000000-0000-4000-a000-' || lpad(to_hex(pick.u), 12, '0'))::uuid, 'ad', now(),
      now() - random() * interval '${s.days} days'
    from generate_series(1, ${s.leads}) as k
    cross join lateral (select 1 + (k::bigint * 7919) % ${s.users} as u) as pick;

    insert into public.traffic_sales (amocrm_lead_id, product, sale_type, sale_amount, sold_at,
      status, utm_source, utm_content, user_id, attributed_by, attributed_at)
    select l.amocrm_lead_id, l.product,
      case when l.product = 'challenge3d' and l.amocrm_lead_id % 2 = 0 then 'prepayment'
        else 'full' end,
      (10000 + (l.amocrm_lead_id % 50) * 1000)::numeric,
      least(now(), l.created_at + interval '1 hour'), 'active',
      l.utm_source, l.utm_content, l.user_id, 'ad', now()
    from public.traffic_leads l
    where l.amocrm_lead_id <= ${s.sales};

    insert into public.traffic_aggregated_metrics (user_id, team_name, period, period_start,
      period_end, spend_usd, spend_kzt, exchange_rate, impressions, clicks, reach, leads,
      challenge3d_leads, total_revenue, total_sales, roas, cpa_usd, ctr, cpc_usd, cpm_usd,
      cost_per_lead_usd, lead_to_sale_rate, computed_at)
    select u.id, u.team, p.period, ${today} - p.days + 1, ${today},
      m.usd, m.usd * 478.123456789, 478.123456789, 100000, 2000, 80000, 40, 15,
      m.usd * 1000 / 3, 4, (m.usd * 1000 / 3) / (m.usd * 478.123456789), m.usd / 4,
      2000 / 100000.0, m.usd / 2000, m.usd * 1000 / 100000, m.usd / 40, 4 / 40.0, now()
    from (select * from bench_users union all select 0, null, 'All teams') as u
    cross join (values ('today', 1), ('7d', 7), ('30d', 30)) as p(period, days)
    cross join lateral (select (random() * 1000 * p.days)::numeric / 7 as usd) as m
    on conflict on constraint traffic_aggregated_metrics_user_period_key do nothing;

    -- Statistics before commit: a pg_cron fold (traffic-fold-rollups, traffic-fold-day-totals)
    -- that queued behind this transaction's locks is planned when it gets them, i.e. right after
    -- commit; with the empty phase's statistics it planned its DELETE over ~200,000 delta rows as
    -- a nested loop and ran for 10 minutes (seen in a webhook bench, 2026-12-07 14:30).
    analyze;
  `);
  // Settled, as pg_cron traffic-fold-rollups leaves the rollups within a minute: the lead and sale
  // inserts above appended one delta row per (targetologist, day) (~205,000 at a year's volume);
  // folded here, so a volume phase starts from one row per key and no fold runs during it.
  await sql`select private.traffic_fold_daily_rollups()`;
  await sql.unsafe("vacuum analyze");
}
