/**
 * Fixture rows for traffic-api's integration tests: two targetologists (A, B) with settings,
 * raw ads, leads, sales, stored metrics and sync history, and an admin. Every id and name is
 * unique to the run, so other tests' rows never collide; `cleanup()` removes them again.
 *
 * @module
 */
import { createUser, type db, type TestUser } from "./stack.ts";

type Sql = ReturnType<typeof db>;

export interface Targetologist extends TestUser {
  team: string;
  campaignId: string;
  adsetId: string;
  adId: string;
  token: string;
}

export interface TrafficFixtures {
  a: Targetologist;
  b: Targetologist;
  admin: TestUser;
  /** A signed-in user without a settings row. */
  stranger: TestUser;
  /** Every token written, to check that no response ever contains one. */
  tokens: string[];
  cleanup(): Promise<void>;
}

const digits = (n: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => String(b % 10)).join("");
const fakeToken = () => `EAA${crypto.randomUUID().replaceAll("-", "")}${digits(12)}`;

export const DAY = "2026-01-05";

async function targetologist(sql: Sql, label: string): Promise<Targetologist> {
  const user = await createUser(sql);
  const t = {
    ...user,
    team: `Team ${label} ${user.id.slice(0, 8)}`,
    campaignId: `9${digits(17)}`,
    adsetId: `8${digits(17)}`,
    adId: `7${digits(17)}`,
    token: fakeToken(),
  };
  await sql`insert into public.traffic_targetologist_settings
      (user_id, team_name, facebook_access_token, fb_ad_accounts, utm_sources)
    values (${t.id}, ${t.team}, ${t.token}, ${[`act_${digits(15)}`]}, ${[`fb_${label}`]})`;
  return t;
}

/** Rows for `t`: spend `spend` in `currency` on DAY, one lead and one sale on its ad. */
async function activity(sql: Sql, t: Targetologist, spend: string, currency: string, sale: string) {
  await sql`insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id,
      campaign_id, campaign_name, adset_id, adset_name, ad_id, ad_name, stat_date, spend,
      account_currency, impressions, clicks, reach)
    values (${t.id}, ${t.team}, ${`act_${digits(10)}`}, ${t.campaignId}, ${`Campaign of ${t.team}`},
      ${t.adsetId}, ${`Adset of ${t.team}`}, ${t.adId}, ${`Ad of ${t.team}`}, ${DAY}, ${spend},
      ${currency}, 1000, 50, 800)`;
  await sql`insert into public.traffic_leads (amocrm_lead_id, product, utm_source, utm_campaign,
      utm_content, created_at, user_id, attributed_by)
    values (${digits(12)}, 'express', 'facebook', ${t.campaignId}, ${t.adId},
      ${`${DAY}T10:00:00Z`}, ${t.id}, 'ad')`;
  await sql`insert into public.traffic_sales (amocrm_lead_id, product, sale_type, sale_amount,
      sold_at, status, utm_content, user_id, attributed_by)
    values (${digits(12)}, 'express', 'full', ${sale}, ${`${DAY}T11:00:00Z`}, 'active',
      ${t.adId}, ${t.id}, 'ad'),
      (${digits(12)}, 'express', 'full', 999999, ${`${DAY}T12:00:00Z`}, 'reversed',
      ${t.adId}, ${t.id}, 'ad')`;
}

async function metrics(sql: Sql, userId: string | null, team: string, spend: string) {
  for (const period of ["today", "7d", "30d"]) {
    await sql`insert into public.traffic_aggregated_metrics
        (user_id, team_name, period, period_start, period_end, spend_usd, computed_at)
      values (${userId}, ${team}, ${period}, ${DAY}, ${DAY}, ${spend}, now())
      on conflict on constraint traffic_aggregated_metrics_user_period_key
      do update set team_name = excluded.team_name, spend_usd = excluded.spend_usd`;
  }
}

export async function createTrafficFixtures(sql: Sql): Promise<TrafficFixtures> {
  await sql`insert into public.exchange_rates (rate_date, currency, rate_kzt)
    values ('2026-01-01', 'USD', 500), ('2026-01-01', 'EUR', 550)
    on conflict do nothing`;
  const a = await targetologist(sql, "A");
  const b = await targetologist(sql, "B");
  const admin = await createUser(sql, { admin: true });
  const stranger = await createUser(sql);
  await activity(sql, a, "10", "USD", "100000");
  await activity(sql, b, "20", "EUR", "50000");
  await metrics(sql, a.id, a.team, "10.123456789012345678");
  await metrics(sql, b.id, b.team, "22");
  await metrics(sql, null, `Total ${a.id.slice(0, 8)}`, "32.123456789012345678");
  const marker = `traffic-api-test ${a.id}`;
  await sql`insert into public.traffic_sync_history (sync_type, started_at, finished_at,
      success, error_message, user_id, triggered_by)
    values ('facebook_ads', now() - interval '1 hour', now(), false,
      'Facebook token expired: reconnect the account', ${a.id}, ${marker}),
      ('facebook_ads', now() - interval '2 hours', now(), true, null, ${b.id}, ${marker}),
      ('aggregation', now() - interval '5 minutes', now(), true, null, null, ${marker})`;
  return {
    a,
    b,
    admin,
    stranger,
    tokens: [a.token, b.token],
    async cleanup() {
      const ids = [a.id, b.id, admin.id, stranger.id];
      await sql`delete from public.traffic_leads where user_id = any(${ids}::uuid[])`;
      await sql`delete from public.traffic_sales where user_id = any(${ids}::uuid[])`;
      await sql`delete from public.traffic_sync_history where triggered_by = ${marker}`;
      await sql`delete from public.traffic_aggregated_metrics
        where user_id is null and team_name = ${`Total ${a.id.slice(0, 8)}`}`;
      await sql`delete from auth.users where id = any(${ids}::uuid[])`;
    },
  };
}
