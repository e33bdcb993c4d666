/**
 * Data for the dashboard's browser tests, relative to today in Asia/Almaty: two targetologists
 * (A: USD account, two campaigns, three ad sets, four ads; B: KZT account, one ad) with 60 days
 * of spend, leads and sales; the stored today / 7d / 30d metrics as the aggregation computes
 * them (`traffic_metrics_for_range`, for these users and the team total); sync history in which
 * A's Facebook sync failed; A's token expiring in two days; and an admin. Ids and names are
 * unique to the run; `cleanup()` removes every row again.
 *
 * @module
 */
import { localDate } from "../../supabase/functions/_shared/dates.ts";
import { addDays } from "../../supabase/functions/_shared/dates.ts";
import { createUser, type db, type TestUser } from "../helpers/stack.ts";

type Sql = ReturnType<typeof db>;

export const TZ = "Asia/Almaty";
export const DAYS = 60;

export interface Team extends TestUser {
  team: string;
  campaigns: { id: string; name: string; adsets: { id: string; name: string; ads: string[] }[] }[];
}

export interface DashboardSeed {
  today: string;
  admin: TestUser;
  a: Team;
  b: Team;
  /** A's failed Facebook sync message. */
  failure: string;
  cleanup(): Promise<void>;
}

const digits = (n: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(n)), (x) => String(x % 10)).join("");
const id = (lead: string) => `${lead}${digits(15)}`;

async function team(sql: Sql, label: string, shape: number[][]): Promise<Team> {
  const user = await createUser(sql, {
    email: `dash-${label.toLowerCase()}-${digits(6)}@example.test`,
  });
  const tag = user.id.slice(0, 6);
  const t: Team = {
    ...user,
    team: `${label === "A" ? "Айгерим" : "Бауыржан"} ${tag}`,
    campaigns: shape.map((adsets, ci) => ({
      id: id("9"),
      name: `${label} Campaign ${ci + 1} ${tag}`,
      adsets: adsets.map((ads, si) => ({
        id: id("8"),
        name: `${label} Adset ${ci + 1}.${si + 1}`,
        ads: Array.from({ length: ads }, () => id("7")),
      })),
    })),
  };
  await sql`insert into public.traffic_targetologist_settings
      (user_id, team_name, facebook_access_token, facebook_token_expires_at, fb_ad_accounts,
       utm_sources)
    values (${t.id}, ${t.team}, ${`EAA${digits(40)}`},
      ${label === "A" ? sql`now() + interval '2 days'` : sql`now() + interval '50 days'`},
      ${[`act_${digits(12)}`]}, ${[`dash_${label}_${tag}`]})`;
  return t;
}

export async function seedDashboard(sql: Sql): Promise<DashboardSeed> {
  const today = localDate(new Date(), TZ);
  const admin = await createUser(sql, {
    admin: true,
    email: `dash-admin-${digits(6)}@example.test`,
  });
  const a = await team(sql, "A", [[2, 1], [1]]);
  const b = await team(sql, "B", [[1]]);
  const days = Array.from({ length: DAYS }, (_, d) => addDays(today, -d));
  await sql`insert into public.exchange_rates (rate_date, currency, rate_kzt)
    select d::date, 'USD', 500 from unnest(${days}::date[]) as d
    on conflict do nothing`;

  const ads: Record<string, unknown>[] = [];
  const leads: Record<string, unknown>[] = [];
  const sales: Record<string, unknown>[] = [];
  for (const [ti, t] of [a, b].entries()) {
    const account = `act_${digits(12)}`;
    let n = 0;
    for (const c of t.campaigns) {
      for (const s of c.adsets) {
        for (const ad of s.ads) {
          n++;
          for (const [d, day] of days.entries()) {
            // A in USD (cents vary per ad and day); B in KZT.
            const spend = ti === 0
              ? (5 + n * 3 + (d % 7) * 1.25 + (d < 7 ? 4 : 0)).toFixed(2)
              : String(4000 + (d % 5) * 750);
            ads.push({
              user_id: t.id,
              team_name: t.team,
              account_id: account,
              campaign_id: c.id,
              campaign_name: c.name,
              adset_id: s.id,
              adset_name: s.name,
              ad_id: ad,
              ad_name: `${s.name} · ad ${n}`,
              stat_date: day,
              spend,
              account_currency: ti === 0 ? "USD" : "KZT",
              impressions: 1000 + n * 200 + d * 10,
              clicks: 20 + n * 3 + (d % 4),
              reach: 800 + n * 100,
            });
            // Leads: A's ads on alternate days, more in the last week; B every third day.
            const leadsToday = ti === 0
              ? ((d + n) % 2 === 0 ? 1 : 0) + (d < 7 && n === 1 ? 2 : 0)
              : d % 3 === 0
              ? 1
              : 0;
            for (let k = 0; k < leadsToday; k++) {
              leads.push({
                amocrm_lead_id: digits(12),
                product: "express",
                utm_source: "facebook",
                utm_campaign: c.id,
                utm_content: ad,
                created_at: `${day}T06:0${k}:00Z`,
                user_id: t.id,
                attributed_by: "ad",
              });
            }
            const sale = ti === 0 ? (d + n) % 5 === 0 : d % 6 === 0;
            if (sale) {
              sales.push({
                amocrm_lead_id: digits(12),
                product: "express",
                sale_type: "full",
                sale_amount: ti === 0 ? String(45000 + n * 5000) : "30000",
                sold_at: `${day}T08:00:00Z`,
                status: "active",
                utm_content: ad,
                user_id: t.id,
                attributed_by: "ad",
              });
            }
          }
        }
      }
    }
  }
  await sql`insert into public.traffic_facebook_ads_raw ${sql(ads as never)}`;
  await sql`insert into public.traffic_leads ${sql(leads as never)}`;
  await sql`insert into public.traffic_sales ${sql(sales as never)}`;

  // The stored periods, as the aggregation computes them (its own SQL), for these users and the
  // team total only; the team-total rows are removed again only if this seed created them.
  const cols =
    (await sql<{ column_name: string }[]>`select column_name from information_schema.columns
      where table_schema = 'public' and table_name = 'traffic_aggregated_metrics'
        and column_name not in ('id', 'updated_at') order by ordinal_position`)
      .map((r) => r.column_name);
  const hadTotal = new Set(
    (await sql<{ period: string }[]>`select period from public.traffic_aggregated_metrics
      where user_id is null`).map((r) => r.period),
  );
  const list = cols.join(", ");
  const select = cols.map((c) => (c === "period" ? "$3::text" : c === "computed_at" ? "now()" : c))
    .join(", ");
  const updates = cols.filter((c) => c !== "user_id" && c !== "period")
    .map((c) => `${c} = excluded.${c}`).join(", ");
  for (const [period, span] of [["today", 1], ["7d", 7], ["30d", 30]] as const) {
    await sql.unsafe(
      `insert into public.traffic_aggregated_metrics (${list})
       select ${select} from public.traffic_metrics_for_range($1::date, $2::date, '${TZ}')
       where user_id = any($4::uuid[]) or user_id is null
       on conflict on constraint traffic_aggregated_metrics_user_period_key do update set ${updates}`,
      [addDays(today, 1 - span), today, period, [a.id, b.id]],
    );
  }

  const marker = `dashboard-browser-test ${a.id}`;
  const failure = `Facebook token expired for ${a.team}: reconnect the account`;
  await sql`insert into public.traffic_sync_history (sync_type, started_at, finished_at, success,
      error_message, user_id, triggered_by, records_synced)
    values ('facebook_ads', now() - interval '10 minutes', now() - interval '9 minutes', false,
      ${failure}, ${a.id}, ${marker}, 0),
      ('facebook_ads', now() - interval '20 minutes', now() - interval '19 minutes', true,
      null, ${b.id}, ${marker}, 120),
      ('aggregation', now() - interval '3 minutes', now() - interval '3 minutes', true,
      null, null, ${marker}, 9)`;

  return {
    today,
    admin,
    a,
    b,
    failure,
    async cleanup() {
      const ids = [a.id, b.id, admin.id];
      await sql`delete from public.traffic_facebook_ads_raw where user_id = any(${ids}::uuid[])`;
      await sql`delete from public.traffic_leads where user_id = any(${ids}::uuid[])`;
      await sql`delete from public.traffic_sales where user_id = any(${ids}::uuid[])`;
      await sql`delete from public.traffic_sync_history where triggered_by = ${marker}`;
      await sql`delete from public.traffic_aggregated_metrics where user_id = any(${ids}::uuid[])`;
      const created = ["today", "7d", "30d"].filter((p) => !hadTotal.has(p));
      await sql`delete from public.traffic_aggregated_metrics
        where user_id is null and period = any(${created})`;
      await sql`delete from public.traffic_targetologist_settings where user_id = any(${ids}::uuid[])`;
      await sql`delete from auth.users where id = any(${ids}::uuid[])`;
    },
  };
}
