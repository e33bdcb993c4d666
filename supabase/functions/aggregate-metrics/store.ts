/**
 * What aggregate-metrics needs from the database, behind a narrow interface: the supabase-js
 * implementation calls the SQL functions by name; handler tests use a fake.
 *
 * @module
 */
import type { SupabaseClient } from "../_shared/deps.ts";
import {
  type HistoryStore,
  historyStore,
  type LeaseStore,
  leaseStore,
  unwrap,
} from "../_shared/store.ts";

/** A (currency, day) whose exact-day rate is not stored. */
export interface RateNeed {
  currency: string;
  rate_date: string;
}

/** A row of `exchange_rates`. */
export interface RateRow {
  rate_date: string;
  currency: string;
  rate_kzt: string;
  quant: number;
  source: string;
}

/** What `traffic_aggregate_metrics()` returns. */
export interface AggregateSummary {
  today: string;
  timezone: string;
  /**
   * `full`: every active targetologist was recomputed (first run, a new local day, a rate or
   * stored-row change); `incremental`: only those whose data changed since the last run.
   */
  mode?: "full" | "incremental";
  /** Rows computed (targetologists recomputed x 3 periods, plus the total's 3). */
  rows_written: number;
  /** Rows actually rewritten: new, or their numbers changed (the others are left in place). */
  rows_changed?: number;
  rows_deleted: number;
  /** Active targetologists. */
  users: number;
  /** Targetologists whose rows this run computed. */
  users_recomputed?: number;
  periods: Record<string, [string, string]>;
  missing_rates: RateNeed[];
  attribution: Record<string, unknown>;
}

/** The lease, the history row (`_shared/store.ts`) and aggregate-metrics' own SQL calls. */
export interface AggregationStore extends LeaseStore, HistoryStore {
  rateDatesNeeded(from: string, to: string): Promise<RateNeed[]>;
  upsertRates(rows: RateRow[]): Promise<void>;
  aggregate(timezone: string, today: string): Promise<AggregateSummary>;
  /** Makes the next `aggregate` a full run (`traffic_aggregate_request_full`). */
  requestFullRun(): Promise<void>;
}

/** The store over supabase-js with the service-role key. */
export function createStore(db: SupabaseClient): AggregationStore {
  return {
    ...leaseStore(db),
    ...historyStore(db),
    async rateDatesNeeded(from, to) {
      const res = await db.rpc("traffic_rate_dates_needed", { p_from: from, p_to: to });
      return unwrap<RateNeed[]>("traffic_rate_dates_needed", res) ?? [];
    },
    async upsertRates(rows) {
      if (rows.length === 0) return;
      const res = await db.from("exchange_rates").upsert(
        rows.map((r) => ({ ...r, fetched_at: new Date().toISOString() })),
        { onConflict: "rate_date,currency" },
      );
      unwrap("exchange_rates upsert", res);
    },
    async requestFullRun() {
      unwrap("traffic_aggregate_request_full", await db.rpc("traffic_aggregate_request_full"));
    },
    async aggregate(timezone, today) {
      const res = await db.rpc("traffic_aggregate_metrics", { p_tz: timezone, p_today: today });
      return unwrap<AggregateSummary>("traffic_aggregate_metrics", res);
    },
  };
}
