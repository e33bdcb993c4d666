/**
 * The database plumbing every function repeats, written once: the failed-call error
 * ({@link StoreError}, {@link StoreUnavailableError}), {@link unwrap} for a supabase-js result, the
 * lease calls (`traffic_try_lock` / `traffic_release_lock`) and the `traffic_sync_history` writer.
 * A function's own `store.ts` keeps only its own SQL calls and spreads these in.
 *
 * @module
 */
import type { SupabaseClient } from "./deps.ts";

/** The error part of a supabase-js (PostgREST) answer. */
export interface DbError {
  message: string;
  code?: string;
}

/** A supabase-js answer: data or error, and the HTTP status when there was an answer. */
export interface DbResult<T> {
  data: T | null;
  error: DbError | null;
  status?: number;
}

/**
 * A database call that failed. `detail` is PostgREST's message (it carries no credentials; our
 * own SQL raises messages meant to be read, e.g. a missing exchange rate), `code` its SQLSTATE.
 */
export class StoreError extends Error {
  constructor(readonly operation: string, readonly detail: string, readonly code?: string) {
    super(`${operation} failed: ${detail}${code ? ` (${code})` : ""}`);
    this.name = "StoreError";
  }
}

/** The database (or PostgREST) could not be reached: a retry later may succeed. */
export class StoreUnavailableError extends StoreError {
  constructor(operation: string, detail: string, code?: string) {
    super(operation, detail, code);
    this.name = "StoreUnavailableError";
  }
}

/** PostgREST's "cannot reach the database" codes, a 5xx from it, or no answer at all. */
export function isUnavailable(r: DbResult<unknown>): boolean {
  const code = r.error?.code ?? "";
  return /^PGRST00[0-3]$/.test(code) || (r.status ?? 0) >= 502 || (r.status ?? 0) === 0 ||
    /fetch failed|connection|ECONNREFUSED|network/i.test(r.error?.message ?? "");
}

/** The data of `r`, or the failure thrown as a {@link StoreError} naming `operation`. */
export function unwrap<T>(operation: string, r: DbResult<T>): T {
  if (r.error) {
    const Failure = isUnavailable(r) ? StoreUnavailableError : StoreError;
    throw new Failure(operation, r.error.message, r.error.code || undefined);
  }
  return r.data as T;
}

/** `db.rpc(name, args)`, cancelled by `signal` when one is given; its data or the StoreError. */
export async function callRpc<T>(
  db: SupabaseClient,
  name: string,
  args: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<T> {
  let query = db.rpc(name, args);
  if (signal) query = query.abortSignal(signal);
  return unwrap<T>(name, await query);
}

/** The lease calls (`public.traffic_try_lock` / `traffic_release_lock`). */
export interface LeaseStore {
  /** A lease holder id, or null when another run holds `key`. */
  tryLock(key: string, ttlSeconds: number): Promise<string | null>;
  /** Frees the lease if `holder` still holds it. */
  releaseLock(key: string, holder: string): Promise<boolean>;
}

/** {@link LeaseStore} over a service-role client. */
export function leaseStore(db: SupabaseClient): LeaseStore {
  return {
    async tryLock(key, ttlSeconds) {
      const r = await db.rpc("traffic_try_lock", { p_key: key, p_ttl_seconds: ttlSeconds });
      return unwrap<string | null>("traffic_try_lock", r);
    },
    async releaseLock(key, holder) {
      const r = await db.rpc("traffic_release_lock", { p_key: key, p_holder: holder });
      return unwrap<boolean>("traffic_release_lock", r) === true;
    },
  };
}

/** A `traffic_sync_history` row as the functions write it (the table has more columns). */
export interface HistoryRow {
  sync_type: string;
  triggered_by?: string;
  started_at: string;
  finished_at?: string | null;
  success?: boolean | null;
  users_processed?: number;
  records_synced?: number;
  duration_ms?: number | null;
  error_message?: string | null;
  details?: Record<string, unknown>;
  user_id?: string | null;
}

/** Opens and closes `traffic_sync_history` rows. */
export interface HistoryStore {
  /** Inserts a row; returns its id. */
  startHistory(row: HistoryRow): Promise<number>;
  finishHistory(id: number, row: Partial<HistoryRow>): Promise<void>;
}

/** {@link HistoryStore} over a service-role client. */
export function historyStore(db: SupabaseClient): HistoryStore {
  return {
    async startHistory(row) {
      const r = await db.from("traffic_sync_history").insert(row).select("id").single();
      return Number(unwrap<{ id: number }>("traffic_sync_history insert", r).id);
    },
    async finishHistory(id, row) {
      const r = await db.from("traffic_sync_history").update(row).eq("id", id);
      unwrap("traffic_sync_history update", r);
    },
  };
}
