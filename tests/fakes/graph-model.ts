/**
 * The data behind the fake Graph API: ad accounts with campaigns, ad sets and ads, tokens with
 * the accounts they may read, and deterministic daily metrics per (ad, day) that a test can
 * revise. Shared by the msw unit tests and the loopback server the local stack calls.
 *
 * @module
 */

/** One ad. Ids are strings of digits above 2^53, as Meta's are. */
export interface FakeAd {
  ad_id: string;
  ad_name: string;
  adset_id: string;
  adset_name: string;
  campaign_id: string;
  campaign_name: string;
  /** `ad.effective_status`: ARCHIVED and DELETED ads only appear when the filter asks for them. */
  status: string;
}

export interface FakeAccount {
  /** Digits, without `act_`. */
  id: string;
  name: string;
  currency: string;
  ads: FakeAd[];
  /** 0-based request numbers (per account fetch) answered with an empty page that has `next`. */
  emptyPages?: number[];
}

/** One Ads Action Stats entry, as Meta sends it. */
export interface ActionStat {
  action_type: string;
  value: string;
}

/** One day's metrics of one ad, as Meta sends them (strings). */
export interface Metrics {
  spend: string;
  impressions: string;
  clicks: string;
  reach: string;
  /** Meta omits `actions` / `cost_per_action_type` when there are none. */
  actions?: ActionStat[];
  cost_per_action_type?: ActionStat[];
}

/** The fake's state. Mutate it between requests to script a scenario. */
export interface GraphModel {
  accounts: Map<string, FakeAccount>;
  /** token -> account ids it may read. An unknown token gets 190; a known one without the account 200. */
  tokens: Map<string, Set<string>>;
  /** Tokens that now answer 190/463 (expired). */
  expired: Set<string>;
  /** Revised figures by `${ad_id}|${day}`. */
  overrides: Map<string, Partial<Metrics>>;
  /** When set, every request must carry a valid `appsecret_proof`. */
  appSecret?: string;
  /** Added to every answer, in ms. */
  latencyMs: number;
}

/** An empty model. */
export function graphModel(init: Partial<GraphModel> = {}): GraphModel {
  return {
    accounts: new Map(),
    tokens: new Map(),
    expired: new Set(),
    overrides: new Map(),
    latencyMs: 0,
    ...init,
  };
}

/** FNV-1a: a small deterministic hash for metrics. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** `spend / count` as Meta writes a cost per action: 6 decimals, exact from the cents. */
export function costPer(spend: string, count: number): string {
  const [int, frac = ""] = spend.split(".");
  const micros = BigInt(int + frac.padEnd(6, "0").slice(0, 6)) / BigInt(count);
  const text = micros.toString().padStart(7, "0");
  return `${text.slice(0, -6)}.${text.slice(-6)}`;
}

/**
 * Meta-style overlapping conversions of an ad-day, as Meta reports them: `form` instant-form
 * leads (both `onsite_conversion.lead_grouped` and `leadgen_grouped`), `pixel` website leads
 * (`offsite_conversion.fb_pixel_lead`), their total `lead` (left out when `withTotal` is false,
 * as older reports do), `link_click`, and `cost_per_action_type` for each type.
 */
export function actionsFor(
  spend: string,
  clicks: number,
  form: number,
  pixel: number,
  withTotal = true,
): Pick<Metrics, "actions" | "cost_per_action_type"> {
  const actions: ActionStat[] = [];
  if (clicks > 0) actions.push({ action_type: "link_click", value: String(clicks) });
  if (form > 0) {
    actions.push({ action_type: "onsite_conversion.lead_grouped", value: String(form) });
    actions.push({ action_type: "leadgen_grouped", value: String(form) });
  }
  if (pixel > 0) {
    actions.push({ action_type: "offsite_conversion.fb_pixel_lead", value: String(pixel) });
  }
  if (withTotal && form + pixel > 0) {
    actions.push({ action_type: "lead", value: String(form + pixel) });
  }
  if (!actions.length) return {};
  return {
    actions,
    cost_per_action_type: actions.map((a) => ({
      action_type: a.action_type,
      value: costPer(spend, Number(a.value)),
    })),
  };
}

/**
 * The metrics of `ad` on `day`: deterministic, with any override applied. Actions: 0-3
 * instant-form and 0-2 website leads, and Meta's total `lead` on four ad-days of five.
 */
export function metricsOf(model: GraphModel, adId: string, day: string): Metrics {
  const h = hash(`${adId}|${day}`);
  const impressions = 100 + (h % 5000);
  const spend = `${Math.floor(h / 7) % 500}.${String(h % 100).padStart(2, "0")}`;
  const clicks = h % 97;
  const base: Metrics = {
    spend,
    impressions: String(impressions),
    clicks: String(clicks),
    reach: String(Math.floor(impressions * 0.9)),
    ...actionsFor(spend, clicks, (h >>> 8) % 4, (h >>> 12) % 3, (h >>> 16) % 5 !== 0),
  };
  return { ...base, ...model.overrides.get(`${adId}|${day}`) };
}

/**
 * Builds an account of `campaigns` x `adsPerCampaign` ads (one ad set per campaign). `seed`
 * makes ids distinct between accounts; `statuses` cycles over the ads.
 */
export function makeAccount(opts: {
  id: string;
  name?: string;
  currency?: string;
  campaigns?: number;
  adsPerCampaign?: number;
  statuses?: string[];
}): FakeAccount {
  const campaigns = opts.campaigns ?? 1;
  const perCampaign = opts.adsPerCampaign ?? 2;
  const statuses = opts.statuses ?? ["ACTIVE"];
  const base = 23850000000000000n + BigInt(opts.id) % 1000000n * 1000n;
  const ads: FakeAd[] = [];
  for (let c = 0; c < campaigns; c++) {
    const campaignId = String(120200000000000000n + base + BigInt(c));
    for (let a = 0; a < perCampaign; a++) {
      const n = ads.length;
      ads.push({
        ad_id: String(base + 500n + BigInt(n)),
        ad_name: `Ad ${c + 1}.${a + 1}`,
        adset_id: String(base + 300n + BigInt(c)),
        adset_name: `Adset ${c + 1}`,
        campaign_id: campaignId,
        campaign_name: `Campaign ${c + 1}`,
        status: statuses[n % statuses.length],
      });
    }
  }
  return {
    id: opts.id,
    name: opts.name ?? `Account ${opts.id}`,
    currency: opts.currency ?? "USD",
    ads,
  };
}

/** Adds accounts and a token that may read them. */
export function grant(model: GraphModel, token: string, ...accounts: FakeAccount[]): void {
  const set = model.tokens.get(token) ?? new Set<string>();
  for (const a of accounts) {
    model.accounts.set(a.id, a);
    set.add(a.id);
  }
  model.tokens.set(token, set);
}

/** Every day from `since` to `until`, inclusive. */
export function daysBetween(since: string, until: string): string[] {
  const out: string[] = [];
  const d = new Date(`${since}T00:00:00Z`);
  for (let day = since; day <= until; day = d.toISOString().slice(0, 10)) {
    out.push(day);
    d.setUTCDate(d.getUTCDate() + 1);
  }
  return out;
}

/** The rows Meta would return for these ads and days (day-major, as the fake pages them). */
export function expectedRows(
  model: GraphModel,
  account: FakeAccount,
  ads: FakeAd[],
  days: string[],
) {
  return days.flatMap((day) =>
    ads.map((ad) => ({
      account_id: account.id,
      account_name: account.name,
      account_currency: account.currency,
      campaign_id: ad.campaign_id,
      campaign_name: ad.campaign_name,
      adset_id: ad.adset_id,
      adset_name: ad.adset_name,
      ad_id: ad.ad_id,
      ad_name: ad.ad_name,
      ...metricsOf(model, ad.ad_id, day),
      date_start: day,
      date_stop: day,
    }))
  );
}

/** A model of `users` tokens with `accountsPerUser` accounts of `campaigns` x `adsPerCampaign` ads. */
export function scaledModel(opts: {
  users: number;
  accountsPerUser: number;
  campaigns: number;
  adsPerCampaign: number;
  latencyMs?: number;
}) {
  const model = graphModel({ latencyMs: opts.latencyMs ?? 0 });
  const users = Array.from({ length: opts.users }, (_, u) => {
    const token = `bench-token-${u}`;
    const accounts = Array.from({ length: opts.accountsPerUser }, (_, a) =>
      makeAccount({
        id: `${9100000 + u * 1000 + a}`,
        campaigns: opts.campaigns,
        adsPerCampaign: opts.adsPerCampaign,
      }));
    grant(model, token, ...accounts);
    return { token, accounts };
  });
  return { model, users };
}
