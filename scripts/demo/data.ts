/**
 * The demo's world, deterministic for a given "today" (Asia/Almaty): three targetologists with
 * their ad accounts, campaigns, ad sets and ads, each ad's daily spend, and the AmoCRM pipelines.
 * docs/demo.md describes the same numbers in prose; `npm run demo -- --summary` prints them.
 *
 * @module
 */

export type Product = "challenge3d" | "express" | "intensive1d";

export interface DemoAd {
  ad_id: string;
  ad_name: string;
  adset_id: string;
  adset_name: string;
  campaign_id: string;
  campaign_name: string;
  product: Product;
  /** Spend on a Monday, in the account's currency, in cents (tiyn). */
  baseCents: number;
}

export interface DemoAccount {
  /** Digits, without `act_`. */
  id: string;
  name: string;
  currency: "USD" | "KZT" | "EUR";
  ads: DemoAd[];
  /** The first request of every sync is throttled once with this Meta error code. */
  throttleCode?: 17 | 80004;
}

export interface DemoTeam {
  index: number;
  user_id: string;
  email: string;
  team_name: string;
  token: string;
  utm_source: string;
  /** Leads per day. */
  leadsPerDay: number;
  accounts: DemoAccount[];
}

/** The admin who reads every team's numbers. */
export const ADMIN = {
  user_id: "d0000000-0000-4000-8000-0000000000ad",
  email: "admin@demo.traffic.kz",
};

/** AmoCRM's built-in "won" and "lost" statuses. */
export const WON = 142;
export const LOST = 143;

export const PIPELINES: Record<
  Product,
  { pipeline_id: number; name: string; newStatus: number; prepayment: number[] }
> = {
  challenge3d: {
    pipeline_id: 7010001,
    name: "Челлендж 3D",
    newStatus: 70100001,
    prepayment: [70100011],
  },
  express: { pipeline_id: 7010002, name: "Экспресс-курс", newStatus: 70100002, prepayment: [] },
  intensive1d: {
    pipeline_id: 7010003,
    name: "Интенсив 1 день",
    newStatus: 70100003,
    prepayment: [],
  },
};

/** Prices in KZT. */
export const PRICES = {
  prepayment: 30_000,
  challenge3d: 120_000,
  express: 45_000,
  intensive1d: 15_000,
};

/** Spend multiplier per weekday (Mon..Sun, tenths); the seven sum to 70, so a week = 7 x Monday. */
export const WEEKDAY_TENTHS = [10, 11, 12, 11, 10, 8, 8];

type AdSpec = [name: string, baseCents: number];
type CampaignSpec = [name: string, product: Product, adset: string, ads: AdSpec[]];

function account(
  id: string,
  name: string,
  currency: DemoAccount["currency"],
  campaigns: CampaignSpec[],
  throttleCode?: 17 | 80004,
): DemoAccount {
  // Meta's ids are digit strings above 2^53: 120210 + account + kind + serial.
  const ids = (kind: number, n: number) => `120210${id}${kind}${String(n).padStart(4, "0")}`;
  const ads: DemoAd[] = [];
  campaigns.forEach(([campaign, product, adset, adSpecs], c) => {
    for (const [adName, baseCents] of adSpecs) {
      ads.push({
        ad_id: ids(3, ads.length + 1),
        ad_name: adName,
        adset_id: ids(2, c + 1),
        adset_name: adset,
        campaign_id: ids(1, c + 1),
        campaign_name: campaign,
        product,
        baseCents,
      });
    }
  });
  return { id, name, currency, ads, ...(throttleCode ? { throttleCode } : {}) };
}

export const TEAMS: DemoTeam[] = [
  {
    index: 1,
    user_id: "d0000000-0000-4000-8000-000000000001",
    email: "kenesary@demo.traffic.kz",
    team_name: "Kenesary",
    token: "demo-token-kenesary",
    utm_source: "fb_kenesary",
    leadsPerDay: 4,
    accounts: [
      account("1010001", "Kenesary | Challenge 3D", "USD", [
        ["3D Challenge | Broad | KZ", "challenge3d", "Women 25-45 | Almaty+Astana", [
          ["Reels — Aigerim testimonial", 1800],
          ["Carousel — programme day by day", 1200],
        ]],
        ["3D Challenge | Lookalike 2% buyers", "challenge3d", "LAL 2% | KZ", [
          ["Video — founder invite", 1500],
        ]],
      ], 17),
      account("1010002", "Kenesary | Express (KZT)", "KZT", [
        ["Express course | Retargeting 30d", "express", "Site visitors 30d", [
          ["Static — price reveal", 600_000],
          ["Stories — countdown", 450_000],
        ]],
      ]),
    ],
  },
  {
    index: 2,
    user_id: "d0000000-0000-4000-8000-000000000002",
    email: "arman@demo.traffic.kz",
    team_name: "Arman",
    token: "demo-token-arman",
    utm_source: "fb_arman",
    leadsPerDay: 3,
    accounts: [
      account("1020001", "Arman | Intensive + Express", "USD", [
        ["1-day intensive | Interests | KZ", "intensive1d", "Entrepreneurs 28-50", [
          ["Video — 5 mistakes", 1000],
          ["Static — date & seats", 800],
        ]],
        ["Express course | Broad", "express", "Broad 22-45 | KZ", [
          ["Reels — student result", 1400],
        ]],
      ], 80004),
    ],
  },
  {
    index: 3,
    user_id: "d0000000-0000-4000-8000-000000000003",
    email: "dana@demo.traffic.kz",
    team_name: "Dana",
    token: "demo-token-dana",
    utm_source: "fb_dana",
    leadsPerDay: 3,
    accounts: [
      account("1030001", "Dana | Challenge 3D", "USD", [
        ["3D Challenge | Reels placement", "challenge3d", "Women 22-40 | KZ", [
          ["Reels — before/after", 1600],
        ]],
      ]),
      account("1030002", "Dana | CIS diaspora (EUR)", "EUR", [
        ["Express course | CIS diaspora", "express", "RU speakers | DE+PL", [
          ["Video — online format", 900],
          ["Carousel — reviews", 700],
        ]],
      ]),
    ],
  },
];

/** Every ad account id, `act_`-less, of every team. */
export function allAccounts(): DemoAccount[] {
  return TEAMS.flatMap((t) => t.accounts);
}

/** 0 = Monday … 6 = Sunday, of a YYYY-MM-DD date. */
export function weekday(day: string): number {
  return (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7;
}

/** One ad's spend on `day` as Meta's decimal string in the account currency ("19.80"). */
export function adSpend(ad: DemoAd, day: string): string {
  const cents = ad.baseCents * WEEKDAY_TENTHS[weekday(day)] / 10;
  return `${Math.floor(cents / 100)}.${String(Math.round(cents % 100)).padStart(2, "0")}`;
}

/** Meta's other metrics of one ad on `day`, derived from spend (CPM ~$4 / ~2,000 ₸, CTR 1.5%). */
export function adMetrics(account: DemoAccount, ad: DemoAd, day: string) {
  const spend = adSpend(ad, day);
  const perThousand = account.currency === "KZT" ? 2000 : 4;
  const impressions = Math.round(Number(spend) * 1000 / perThousand);
  return {
    spend,
    impressions: String(impressions),
    clicks: String(Math.round(impressions * 0.015)),
    reach: String(Math.round(impressions * 0.8)),
  };
}

/** Days since 2000-01-01 of a YYYY-MM-DD date. */
export function epochDay(day: string): number {
  return Math.round((Date.parse(`${day}T00:00:00Z`) - Date.UTC(2000, 0, 1)) / 86_400_000);
}

/**
 * The simulated National Bank rates of `day` (KZT per unit), or null on Saturday and Sunday
 * (no publication; the aggregation then uses the latest earlier rate).
 * USD = 470 + 2 x (days since 2000-01-01 mod 11), EUR = USD + 30: USD 470–490, EUR 500–520.
 */
export function nbkRates(day: string): { USD: string; EUR: string } | null {
  if (weekday(day) >= 5) return null;
  const usd = 470 + 2 * (epochDay(day) % 11);
  return { USD: `${usd}.00`, EUR: `${usd + 30}.00` };
}

/**
 * Meta's own lead counts of one ad on `day` (what its `actions` report): instant-form leads 0-2
 * and a website (pixel) lead every fifth ad-day, about 1.2 per ad-day, so Meta counts a little
 * more than the CRM receives, as it usually does. Only their source differs from the CRM's leads.
 */
export function adMetaLeads(ad: DemoAd, day: string): { form: number; pixel: number } {
  const n = epochDay(day) + Number(ad.ad_id.slice(-4));
  return { form: [0, 1, 1, 2][n % 4], pixel: n % 5 === 0 ? 1 : 0 };
}
