/**
 * What aggregate-metrics needs from the database, behind a narrow interface: the supabase-js
 * implementation calls the SQL functions by name; handler tests use a fake.
 *
 * @module
 */
import type { SupabaseClient } from "../_shared/deps.ts";

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
  rows_written: number;
  /** Rows actually rewritten: new, or their numbers changed (the others are left in place). */
  rows_changed?: number;
  rows_deleted: number;
  users: number;
  periods: Record<string, [string, string]>;
  missing_rates: RateNeed[];
  attribution: Record<string, unknown>;
}

/** A `traffic_sync_history` row as written by this function. */
export interface HistoryRow {
  sync_type: string;
  triggered_by: string;
  started_at: string;
  finished_at?: string | null;
  success?: boolean | null;
  users_processed?: number;
  records_synced?: number;
  duration_ms?: number | null;
  error_message?: string | null;
  details?: Record<string, unknown>;
}

/** A database error whose message is ours to show (raised by our SQL), e.g. a missing rate. */
export class StoreError extends Error {
  constructor(readonly operation: string, message: string, readonly code?: string) {
    super(message);
    this.name = "StoreError";
  }
}

export interface AggregationStore {
  tryLock(key: string, ttlSeconds: number): Promise<string | null>;
  releaseLock(key: string, holder: string): Promise<boolean>;
  rateDatesNeeded(from: string, to: string): Promise<RateNeed[]>;
  upsertRates(rows: RateRow[]): Promise<void>;
  aggregate(timezone: string, today: string): Promise<AggregateSummary>;
  /** Inserts a history row and returns its id. */
  startHistory(row: HistoryRow): Promise<number>;
  finishHistory(id: number, row: Partial<HistoryRow>): Promise<void>;
}

type Result<T> = { data: T | null; error: { message: string; code?: string } | null };

function check<T>(operation: string, res: Result<T>): T {
  if (res.error) throw new StoreError(operation, res.error.message, res.error.code);
  return res.data as T;
}

/** The store over supabase-js with the service-role key. */
export function createSupabaseStore(db: SupabaseClient): AggregationStore {
  return {
    async tryLock(key, ttlSeconds) {
      const res = await db.rpc("traffic_try_lock", { p_key: key, p_ttl_seconds: ttlSeconds });
      return check<string | null>("traffic_try_lock", res);
    },
    async releaseLock(key, holder) {
      const res = await db.rpc("traffic_release_lock", { p_key: key, p_holder: holder });
      return check<boolean>("traffic_release_lock", res) === true;
    },
    async rateDatesNeeded(from, to) {
      const res = await db.rpc("traffic_rate_dates_needed", { p_from: from, p_to: to });
      return check<RateNeed[]>("traffic_rate_dates_needed", res) ?? [];
    },
    async upsertRates(rows) {
      if (rows.length === 0) return;
      const res = await db.from("exchange_rates").upsert(
        rows.map((r) => ({ ...r, fetched_at: new Date().toISOString() })),
        { onConflict: "rate_date,currency" },
      );
      check("exchange_rates upsert", res);
    },
    async aggregate(timezone, today) {
      const res = await db.rpc("traffic_aggregate_metrics", { p_tz: timezone, p_today: today });
      return check<AggregateSummary>("traffic_aggregate_metrics", res);
    },
    async startHistory(row) {
      const res = await db.from("traffic_sync_history").insert(row).select("id").single();
      return check<{ id: number }>("traffic_sync_history insert", res).id;
    },
    async finishHistory(id, row) {
      const res = await db.from("traffic_sync_history").update(row).eq("id", id);
      check("traffic_sync_history update", res);
    },
  };
}
