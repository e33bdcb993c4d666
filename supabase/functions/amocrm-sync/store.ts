/**
 * amocrm-sync's database port and its supabase-js implementation: one `rpc` per API page
 * (`amocrm_sync_apply`, set-based), the bookkeeping row (`amocrm_sync_get_state` /
 * `amocrm_sync_record`) and one `traffic_sync_history` row per run (`_shared/store.ts`).
 *
 * @module
 */
import type { SupabaseClient } from "../_shared/deps.ts";
import { type HistoryStore, historyStore, unwrap } from "../_shared/store.ts";
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

/** The history row (`_shared/store.ts`) and amocrm-sync's own SQL calls. */
export interface SyncStore extends HistoryStore {
  getState(account: string): Promise<SyncState>;
  record(account: string, state: Record<string, unknown>): Promise<void>;
  apply(events: ApiLeadEvent[]): Promise<ApplyResult>;
}

/** The port over a service-role supabase-js client. */
export function createStore(db: SupabaseClient): SyncStore {
  return {
    ...historyStore(db),
    async getState(account) {
      const r = await db.rpc("amocrm_sync_get_state", { p_account: account });
      return (unwrap<SyncState | null>("amocrm_sync_get_state", r) ?? {}) as SyncState;
    },
    async record(account, state) {
      const r = await db.rpc("amocrm_sync_record", { p_account: account, p_state: state });
      unwrap("amocrm_sync_record", r);
    },
    async apply(events) {
      const r = await db.rpc("amocrm_sync_apply", { p_events: events });
      return unwrap<ApplyResult>("amocrm_sync_apply", r);
    },
  };
}
