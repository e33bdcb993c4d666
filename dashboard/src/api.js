// @ts-check
/**
 * The page's client of traffic-api, typed by the types generated from the API's OpenAPI
 * document (`../api/traffic-api.d.ts`, openapi-typescript). Every call sends the signed-in
 * user's JWT and the publishable/anon key; what comes back is what RLS lets that user see.
 *
 * @module
 */

/** @typedef {import("../api/traffic-api.d.ts").paths} Paths */
/** @typedef {import("../api/traffic-api.d.ts").components["schemas"]} Schemas */
/** @typedef {Schemas["MetricsResponse"]} MetricsResponse */
/** @typedef {Schemas["RangeResponse"]} RangeResponse */
/** @typedef {Schemas["DailyResponse"]} DailyResponse */
/** @typedef {Schemas["CampaignsResponse"]} CampaignsResponse */
/** @typedef {Schemas["SyncStatusResponse"]} SyncStatusResponse */
/** @typedef {Schemas["AlertsResponse"]} AlertsResponse */
/** @typedef {Schemas["Settings"]} Settings */
/** @typedef {MetricsResponse["data"][number]} MetricsRow */
/** @typedef {DailyResponse["data"][number]} DailyRow */
/** @typedef {CampaignsResponse["data"][number]} CampaignRow */
/** @typedef {NonNullable<MetricsResponse["previous"]>[number]} PreviousPeriod */
/**
 * @template {keyof Paths} P
 * @typedef {Paths[P] extends { get: { parameters: { query?: infer Q } } } ? NonNullable<Q> : never} QueryOf
 */

/** An error answer of the API (`{ error: { code, message } }`) or of the gateway. */
export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/**
 * @param {{ baseUrl: string, anonKey: string, token: () => string | null, fetch?: typeof fetch }} opts
 *   baseUrl: `<SUPABASE_URL>/functions/v1/traffic-api`
 */
export function createTrafficApi(opts) {
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);

  /**
   * @template {keyof Paths} P
   * @param {P} path
   * @param {QueryOf<P> | Record<string, never>} [query]
   * @returns {Promise<any>}
   */
  async function get(path, query = {}) {
    const url = new URL(`${opts.baseUrl}${path}`);
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, String(v));
    }
    /** @type {Record<string, string>} */
    const headers = { apikey: opts.anonKey };
    const token = opts.token();
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await doFetch(url, { headers });
    const text = await res.text();
    /** @type {any} */
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (!res.ok) {
      const err = body?.error;
      throw new ApiError(
        res.status,
        typeof err?.code === "string" ? err.code : String(res.status),
        typeof err?.message === "string" ? err.message : (body?.message ?? text.slice(0, 200)),
      );
    }
    return body;
  }

  return {
    /** @param {QueryOf<"/metrics">} q @returns {Promise<MetricsResponse>} */
    metrics: (q) => get("/metrics", q),
    /** @param {QueryOf<"/metrics/range">} q @returns {Promise<RangeResponse>} */
    metricsRange: (q) => get("/metrics/range", q),
    /** @param {QueryOf<"/daily">} q @returns {Promise<DailyResponse>} */
    daily: (q) => get("/daily", q),
    /** @param {QueryOf<"/campaigns">} q @returns {Promise<CampaignsResponse>} */
    campaigns: (q) => get("/campaigns", q),
    /**
     * Every page of `/campaigns` (following next_offset), at most `maxPages` pages.
     * @param {QueryOf<"/campaigns">} q @param {number} [maxPages]
     * @returns {Promise<CampaignRow[]>}
     */
    async campaignsAll(q, maxPages = 10) {
      /** @type {CampaignRow[]} */
      const rows = [];
      /** @type {number | null} */
      let offset = 0;
      for (let i = 0; i < maxPages && offset !== null; i++) {
        /** @type {CampaignsResponse & { next_offset?: number | null }} */
        const page = await get("/campaigns", { ...q, limit: "500", offset: String(offset) });
        rows.push(...page.data);
        offset = page.next_offset ?? null;
      }
      return rows;
    },
    /** @param {QueryOf<"/sync-status">} [q] @returns {Promise<SyncStatusResponse>} */
    syncStatus: (q = {}) => get("/sync-status", q),
    /** @param {QueryOf<"/alerts">} [q] @returns {Promise<AlertsResponse>} */
    alerts: (q = {}) => get("/alerts", q),
    /** @returns {Promise<Settings>} */
    settings: () => get("/settings"),
  };
}

/** @typedef {ReturnType<typeof createTrafficApi>} TrafficApi */
