/**
 * amocrm-sync's database port and its supabase-js implementation: one `rpc` per API page
 * (`amocrm_sync_apply`, set-based), the bookkeeping row (`amocrm_sync_get_state` /
 * `amocrm_sync_record`) and one `traffic_sync_history` row per run.
 *
 * @module
 */
import type { SupabaseClient } from "../_shared/deps.ts";
import type { ApiLeadEvent } from "./map.ts";

/** What `amocrm_sync_apply` answers. */
export interface ApplyResult {
  events: number;
  inserted: number;
  leads: number;
  /** Leads whose visible traffic_leads row changed. */
  changed_lead_ids: number[];
  /** Leads whose traffic_sales row changed. */
  changed_sale_ids: number[];
  leads_written: number;
  sales_written: number;
}

/** The stored bookkeeping of an account (timestamps as ISO strings). */
export interface SyncState {
  leads_watermark?: string | null;
  events_watermark?: string | null;
}

export interface SyncStore {
  startRun(row: Record<string, unknown>): Promise<number>;
  finishRun(id: number, row: Record<string, unknown>): Promise<void>;
  getState(account: string): Promise<SyncState>;
  record(account: string, state: Record<string, unknown>): Promise<void>;
  apply(events: ApiLeadEvent[]): Promise<ApplyResult>;
}

function fail(what: string, error: { message: string }): never {
  throw new Error(`${what}: ${error.message}`);
}

/** The port over a service-role supabase-js client. */
export function supabaseStore(db: SupabaseClient): SyncStore {
  return {
    async startRun(row) {
      const { data, error } = await db.from("traffic_sync_history").insert(row).select("id")
        .single();
      if (error) fail("opening the history row failed", error);
      return data.id as number;
    },
    async finishRun(id, row) {
      const { error } = await db.from("traffic_sync_history").update(row).eq("id", id);
      if (error) fail("closing the history row failed", error);
    },
    async getState(account) {
      const { data, error } = await db.rpc("amocrm_sync_get_state", { p_account: account });
      if (error) fail("reading the sync state failed", error);
      return (data ?? {}) as SyncState;
    },
    async record(account, state) {
      const { error } = await db.rpc("amocrm_sync_record", { p_account: account, p_state: state });
      if (error) fail("recording the sync state failed", error);
    },
    async apply(events) {
      const { data, error } = await db.rpc("amocrm_sync_apply", { p_events: events });
      if (error) fail("applying the AmoCRM page failed", error);
      return data as ApplyResult;
    },
  };
}
