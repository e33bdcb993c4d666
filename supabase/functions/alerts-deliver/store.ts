/**
 * What alerts-deliver needs from the database, behind a narrow interface: the outbox's claim and
 * settle SQL functions (`traffic_alert_outbox_claim`, `traffic_alert_outbox_settle`, service_role
 * only). Handler tests use a fake.
 *
 * @module
 */
import type { SupabaseClient } from "../_shared/deps.ts";
import { callRpc } from "../_shared/store.ts";

/** One leased message, with its destination (the URL is a secret: never log or return it). */
export interface ClaimedMessage {
  id: number;
  attempt: number;
  kind: "opened" | "reminder" | "resolved";
  destination_kind: "telegram" | "webhook";
  url: string;
  chat_id: string | null;
  text: string;
  payload: Record<string, unknown>;
  idempotency_key: string;
  allow_loopback_http: boolean;
}

export type Outcome = "delivered" | "retry" | "failed";

export interface Settlement {
  outcome: Outcome;
  statusCode?: number | null;
  /** Already redacted. */
  error?: string | null;
  retryAfterSeconds?: number | null;
}

export interface OutboxStore {
  claim(limit: number, leaseSeconds: number): Promise<ClaimedMessage[]>;
  /** The new status, or null when the attempt no longer holds the lease. */
  settle(
    msg: ClaimedMessage,
    s: Settlement,
    maxAttempts: number,
  ): Promise<string | null>;
}

/** The port over a service-role supabase-js client (`_shared/store.ts`' `callRpc`). */
export function createStore(db: SupabaseClient): OutboxStore {
  return {
    async claim(limit, leaseSeconds) {
      const data = await callRpc<ClaimedMessage[] | null>(db, "traffic_alert_outbox_claim", {
        p_limit: limit,
        p_lease_seconds: leaseSeconds,
      });
      return data ?? [];
    },
    async settle(msg, s, maxAttempts) {
      const data = await callRpc<string | null>(db, "traffic_alert_outbox_settle", {
        p_id: msg.id,
        p_attempt: msg.attempt,
        p_outcome: s.outcome,
        p_status_code: s.statusCode ?? null,
        p_error: s.error ?? null,
        p_retry_after_seconds: s.retryAfterSeconds ?? null,
        p_max_attempts: maxAttempts,
      });
      return data ?? null;
    },
  };
}
