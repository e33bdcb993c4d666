/**
 * The sync's database port and its supabase-js implementation. Every write is one `rpc` (a
 * batched, set-based SQL function) or one row of `traffic_sync_history`: no row-by-row writes.
 *
 * @module
 */
import type { SupabaseClient } from "../_shared/deps.ts";

/** A targetologist to sync, as `public.fb_sync_targets()` returns it. */
export interface SyncTarget {
  user_id: string;
  team_name: string;
  /** The user's own token, or null (then `FACEBOOK_ADS_TOKEN` is the fallback). */
  access_token: string | null;
  token_status: string | null;
  ad_accounts: string[];
  tracked_campaigns: string[];
}

/**
 * One `traffic_facebook_ads_raw` row as `fb_upsert_insights` takes it (spend a decimal string),
 * with the ad-day's actions (`traffic_facebook_ad_actions`: the list replaces the stored one).
 */
export interface AdsRow {
  account_id: string;
  account_name: string | null;
  account_currency: string | null;
  campaign_id: string;
  campaign_name: string | null;
  adset_id: string;
  adset_name: string | null;
  ad_id: string;
  ad_name: string | null;
  stat_date: string;
  spend: string;
  impressions: number;
  clicks: number;
  reach: number | null;
  actions: { action_type: string; value: string; cost_per_action: string | null }[];
}

/** What `fb_start_run` opens a run with (the database sets started_at and expires_at). */
export interface RunStart {
  user_id?: string | null;
  triggered_by: string;
  details: Record<string, unknown>;
  /** The run's budget: the row counts as dead (closed as failed) 60 s after it. */
  budget_ms: number;
}

/** The columns of a `traffic_sync_history` row this function writes. */
export interface HistoryRow {
  sync_type: "facebook_ads";
  started_at: string;
  finished_at?: string | null;
  success?: boolean | null;
  users_processed?: number;
  records_synced?: number;
  duration_ms?: number | null;
  error_message?: string | null;
  details?: Record<string, unknown>;
  user_id?: string | null;
  triggered_by?: string;
}

/** Everything the sync reads from and writes to the database. */
export interface SyncStore {
  targets(userId: string | null): Promise<SyncTarget[]>;
  /** A lease holder id, or null when another run holds `key`. */
  tryLock(key: string, ttlSeconds: number): Promise<string | null>;
  releaseLock(key: string, holder: string): Promise<boolean>;
  /** Upserts one batch; returns how many rows were inserted or changed. */
  upsertInsights(userId: string, rows: AdsRow[], fetchedAt: string): Promise<number>;
  /** Records Meta's verdict on the user's own token (named by its SHA-256). */
  setTokenStatus(userId: string, tokenSha256: string, status: "ok" | "invalid"): Promise<boolean>;
  /** Queues one invocation per targetologist; returns how many. */
  fanOut(body: Record<string, unknown>): Promise<number>;
  /**
   * Closes the facebook_ads runs that died open (`traffic_close_stale_runs`), then opens this
   * run's row; returns its id.
   */
  startRun(run: RunStart): Promise<number>;
  finishRun(id: number, row: Partial<HistoryRow>): Promise<void>;
}

/** A database call that failed; the message is PostgREST's, which carries no credentials. */
export class StoreError extends Error {
  constructor(operation: string, detail: string) {
    super(`${operation} failed: ${detail}`);
    this.name = "StoreError";
  }
}

/** The database (or PostgREST) could not be reached: a retry later may succeed. */
export class StoreUnavailableError extends StoreError {
  constructor(operation: string, detail: string) {
    super(operation, detail);
    this.name = "StoreUnavailableError";
  }
}

type Result<T> = {
  data: T | null;
  error: { message: string; code?: string } | null;
  status?: number;
};

/** PostgREST's "cannot reach the database" codes, a 5xx from it, or no answer at all. */
function unavailable(r: Result<unknown>): boolean {
  const code = r.error?.code ?? "";
  return /^PGRST00[0-3]$/.test(code) || (r.status ?? 0) >= 502 || (r.status ?? 0) === 0 ||
    /fetch failed|connection|ECONNREFUSED|network/i.test(r.error?.message ?? "");
}

function unwrap<T>(operation: string, r: Result<T>): T {
  if (r.error) {
    const detail = `${r.error.message}${r.error.code ? ` (${r.error.code})` : ""}`;
    throw unavailable(r)
      ? new StoreUnavailableError(operation, detail)
      : new StoreError(operation, detail);
  }
  return r.data as T;
}

/** The store over supabase-js with the service-role key. */
export function supabaseStore(db: SupabaseClient): SyncStore {
  return {
    async targets(userId) {
      const args = userId ? { p_user_id: userId } : {};
      const rows = unwrap("fb_sync_targets", await db.rpc("fb_sync_targets", args));
      return (rows as SyncTarget[] | null) ?? [];
    },
    async tryLock(key, ttlSeconds) {
      const r = await db.rpc("traffic_try_lock", { p_key: key, p_ttl_seconds: ttlSeconds });
      return unwrap<string | null>("traffic_try_lock", r);
    },
    async releaseLock(key, holder) {
      const r = await db.rpc("traffic_release_lock", { p_key: key, p_holder: holder });
      return unwrap<boolean>("traffic_release_lock", r) === true;
    },
    async upsertInsights(userId, rows, fetchedAt) {
      const r = await db.rpc("fb_upsert_insights", {
        p_user_id: userId,
        p_rows: rows,
        p_fetched_at: fetchedAt,
      });
      return Number(unwrap<number>("fb_upsert_insights", r) ?? 0);
    },
    async setTokenStatus(userId, tokenSha256, status) {
      const r = await db.rpc("fb_set_token_status", {
        p_user_id: userId,
        p_token_sha256: tokenSha256,
        p_status: status,
      });
      return unwrap<boolean>("fb_set_token_status", r) === true;
    },
    async fanOut(body) {
      return Number(unwrap<number>("fb_fan_out", await db.rpc("fb_fan_out", { p_body: body })));
    },
    async startRun(run) {
      const r = await db.rpc("fb_start_run", {
        p_user_id: run.user_id ?? null,
        p_triggered_by: run.triggered_by,
        p_details: run.details,
        p_budget_ms: run.budget_ms,
      });
      return Number(unwrap<number>("fb_start_run", r));
    },
    async finishRun(id, row) {
      const r = await db.from("traffic_sync_history").update(row).eq("id", id);
      unwrap("traffic_sync_history update", r);
    },
  };
}
