/**
 * The sync's database port and its supabase-js implementation. Every write is one `rpc` (a
 * batched, set-based SQL function) or one row of `traffic_sync_history`: no row-by-row writes.
 *
 * @module
 */
import type { SupabaseClient } from "../_shared/deps.ts";
import type { InsightAction, InsightRow } from "../_shared/facebook/mod.ts";
import {
  type HistoryRow,
  historyStore,
  type LeaseStore,
  leaseStore,
  unwrap,
} from "../_shared/store.ts";

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
export type AdsRow = Omit<InsightRow, "date_start" | "date_stop"> & {
  /** The ad-day (`date_start` of the insights row). */
  stat_date: string;
};

/** What `fb_start_run` opens a run with (the database sets started_at and expires_at). */
export interface RunStart {
  user_id?: string | null;
  triggered_by: string;
  details: Record<string, unknown>;
  /** The run's budget: the row counts as dead (closed as failed) 60 s after it. */
  budget_ms: number;
}

/** Everything the sync reads from and writes to the database (the lease: `_shared/store.ts`). */
export interface SyncStore extends LeaseStore {
  targets(userId: string | null): Promise<SyncTarget[]>;
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
  /** Closes the run's row (`_shared/store.ts`). */
  finishHistory(id: number, row: Partial<HistoryRow>): Promise<void>;
}

/**
 * V8's `JSON.rawJSON` (ES2026, "JSON.parse source text access", shipped in V8 11.4: the Deno the
 * hosted runtime reports, 2.1.4, has V8 13; not in TypeScript's lib yet): a value that `JSON.stringify`
 * writes as the given text. Here, a JSON number written from Meta's decimal text, digit for
 * digit (money is never a float). Checked once when the module loads: without it no page could
 * be written exactly, so the function fails at start instead.
 */
const rawJSON: (text: string) => RawNumber = (() => {
  const f = (JSON as unknown as { rawJSON?: (text: string) => RawNumber }).rawJSON;
  if (typeof f !== "function") throw new Error("JSON.rawJSON is not available in this runtime");
  return f;
})();

/** What `JSON.rawJSON` returns: written by `JSON.stringify` as its text (here a number). */
interface RawNumber {
  readonly rawJSON: string;
}

/**
 * An ad-day's actions in the form `traffic_facebook_ads_raw.actions` stores them:
 * `{"<type>": [value, cost]}`, each number written as Meta's decimal text, the cost null when
 * Meta gave none.
 */
export type StoredActions = Record<string, [RawNumber, RawNumber | null]>;

/**
 * The stored form of an ad-day's actions, for the page's body: `fb_upsert_insights` checks it as
 * it is instead of rebuilding it from a list (docs/benchmarks.md, fbsync seventh session). Each
 * type once (the client already keeps a repeated type's last entry; here too, the last wins).
 * `Object.fromEntries` defines every type as an own key, `__proto__` included.
 */
export function storedActions(actions: readonly InsightAction[]): StoredActions {
  return Object.fromEntries(
    actions.map((a) => [a.action_type, [
      rawJSON(a.value),
      a.cost_per_action === null ? null : rawJSON(a.cost_per_action),
    ]]),
  );
}

/** One element of `fb_upsert_insights`' `p_rows`: the row with its actions in stored form. */
export function pageRow(r: AdsRow): Omit<AdsRow, "actions"> & { actions: StoredActions } {
  return { ...r, actions: storedActions(r.actions) };
}

/**
 * Names an rpc's arguments in PostgREST's `columns` parameter, so PostgREST passes the body to
 * Postgres as it is instead of parsing it to find its keys: a page is ~300 KB of JSON, and
 * PostgREST 12 spent ~10 ms of CPU a page on that parse (2 ms with `columns`; docs/benchmarks.md,
 * fbsync fifth session). Postgres reads the arguments from the body either way. postgrest-js has
 * no option for it on `rpc`, so the builder's request URL (set before it is awaited) gets it; a
 * builder without one fails here, loudly, rather than sending a request without the parameter.
 */
function namedArguments(call: unknown, names: readonly string[]): void {
  const url = (call as { url?: unknown }).url;
  if (!(url instanceof URL)) throw new Error("postgrest-js: the rpc builder has no request URL");
  url.searchParams.set("columns", names.join(","));
}

/** The store over supabase-js with the service-role key. */
export function createStore(db: SupabaseClient): SyncStore {
  return {
    ...leaseStore(db),
    finishHistory: historyStore(db).finishHistory,
    async targets(userId) {
      const args = userId ? { p_user_id: userId } : {};
      const rows = unwrap("fb_sync_targets", await db.rpc("fb_sync_targets", args));
      return (rows as SyncTarget[] | null) ?? [];
    },
    async upsertInsights(userId, rows, fetchedAt) {
      // fb_upsert_insights_page(jsonb): PostgREST hands this body to it as its one argument, so
      // Postgres parses the page once (fb_upsert_insights' named arguments cost a json check and
      // a json_to_recordset walk of the whole body besides; migration 20261208052700).
      const args = { p_user_id: userId, p_rows: rows.map(pageRow), p_fetched_at: fetchedAt };
      const call = db.rpc("fb_upsert_insights_page", args);
      namedArguments(call, Object.keys(args));
      // (its errors named as before: "fb_upsert_insights failed: …" in the run's history)
      return Number(unwrap<number>("fb_upsert_insights", await call) ?? 0);
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
  };
}
