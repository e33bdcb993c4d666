/**
 * The webhook's narrow view of the database: its SQL functions called through PostgREST with
 * the service key. The handler depends on {@link WebhookStore} only, so tests inject a fake.
 *
 * @module
 */
import type { SupabaseClient } from "../_shared/deps.ts";
import type { Webhook } from "../_shared/amocrm/mod.ts";

/** One body to store (`amocrm_ingest_event`). */
export interface IngestInput {
  rawBody: string;
  contentType: string | null;
  sha256: string;
  payload: Webhook;
  accountId?: string;
  subdomain?: string;
  eventCount: number;
}

/** A body that is not a valid AmoCRM webhook (`amocrm_reject_event`). */
export interface RejectInput {
  rawBody: string;
  contentType: string | null;
  sha256: string;
  error: string;
}

/** A body Postgres text cannot hold, as base64 (`amocrm_reject_undecodable_event`). */
export interface RejectUndecodableInput {
  bodyBase64: string;
  contentType: string | null;
  /** SHA-256 of the bytes (not of the base64 text). */
  sha256: string;
  error: string;
}

/** Where the body went: its event id, and whether the same body was stored before. */
export interface IngestResult {
  eventId: number;
  duplicate: boolean;
}

/** What `amocrm_process_event` reports. */
export interface ProcessResult {
  event_id: number;
  status: "processed" | "ignored" | "failed";
  already?: boolean;
  leads?: number;
  error?: string;
}

/**
 * What `amocrm_receive_event` reports: the body's event id, whether it was stored before, and
 * how processing ended (`pending` when it could not run: the stored body waits for a replay).
 */
export interface ReceiveResult extends IngestResult {
  status: ProcessResult["status"] | "pending";
}

/** What `amocrm_replay_failed` reports. */
export interface ReplayResult {
  selected: number;
  event_ids: number[];
  processed: number;
  ignored: number;
  failed: number;
}

/** The database operations of the webhook. Every method throws on failure. */
export interface WebhookStore {
  ingest(input: IngestInput, signal?: AbortSignal): Promise<IngestResult>;
  /**
   * Stores and processes the body in one transaction (one call, one commit). When a store has
   * it, the webhook uses it instead of {@link ingest} then {@link process}.
   */
  receive?(input: IngestInput, signal?: AbortSignal): Promise<ReceiveResult>;
  /** Keeps a body that failed to parse (status `rejected`); returns its event id. */
  reject(input: RejectInput, signal?: AbortSignal): Promise<number>;
  /** Keeps bytes text cannot hold (NUL, invalid UTF-8) as base64, `rejected`; returns its id. */
  rejectUndecodable(input: RejectUndecodableInput, signal?: AbortSignal): Promise<number>;
  process(eventId: number): Promise<ProcessResult>;
  replayFailed(limit: number): Promise<ReplayResult>;
}

/** A database call that failed; `message` is for logs, never for clients. */
export class StoreError extends Error {
  constructor(operation: string, message: string) {
    super(`${operation}: ${message}`);
    this.name = "StoreError";
  }
}

/** {@link WebhookStore} over supabase-js rpc calls (a client made with the service key). */
export function createStore(db: SupabaseClient): WebhookStore {
  return {
    async ingest(input, signal) {
      let query = db.rpc("amocrm_ingest_event", {
        p_raw_body: input.rawBody,
        p_content_type: input.contentType,
        p_sha256: input.sha256,
        p_payload: input.payload,
        p_account_id: input.accountId ?? null,
        p_subdomain: input.subdomain ?? null,
        p_event_count: input.eventCount,
      });
      if (signal) query = query.abortSignal(signal);
      const { data, error } = await query;
      if (error) throw new StoreError("amocrm_ingest_event", error.message);
      const row = (data as { event_id: number; duplicate: boolean }[] | null)?.[0];
      if (!row) throw new StoreError("amocrm_ingest_event", "returned no row");
      return { eventId: Number(row.event_id), duplicate: row.duplicate };
    },
    async receive(input, signal) {
      let query = db.rpc("amocrm_receive_event", {
        p_raw_body: input.rawBody,
        p_content_type: input.contentType,
        p_sha256: input.sha256,
        p_payload: input.payload,
        p_account_id: input.accountId ?? null,
        p_subdomain: input.subdomain ?? null,
        p_event_count: input.eventCount,
      });
      if (signal) query = query.abortSignal(signal);
      const { data, error } = await query;
      if (error) throw new StoreError("amocrm_receive_event", error.message);
      const row = data as { event_id: number; duplicate: boolean; status: string } | null;
      if (!row?.event_id) throw new StoreError("amocrm_receive_event", "returned no event");
      return {
        eventId: Number(row.event_id),
        duplicate: row.duplicate,
        status: row.status as ReceiveResult["status"],
      };
    },
    async reject(input, signal) {
      let query = db.rpc("amocrm_reject_event", {
        p_raw_body: input.rawBody,
        p_content_type: input.contentType,
        p_sha256: input.sha256,
        p_error: input.error,
      });
      if (signal) query = query.abortSignal(signal);
      const { data, error } = await query;
      if (error) throw new StoreError("amocrm_reject_event", error.message);
      return Number(data);
    },
    async rejectUndecodable(input, signal) {
      let query = db.rpc("amocrm_reject_undecodable_event", {
        p_body_base64: input.bodyBase64,
        p_content_type: input.contentType,
        p_sha256: input.sha256,
        p_error: input.error,
      });
      if (signal) query = query.abortSignal(signal);
      const { data, error } = await query;
      if (error) throw new StoreError("amocrm_reject_undecodable_event", error.message);
      return Number(data);
    },
    async process(eventId) {
      const { data, error } = await db.rpc("amocrm_process_event", { p_event_id: eventId });
      if (error) throw new StoreError("amocrm_process_event", error.message);
      return data as ProcessResult;
    },
    async replayFailed(limit) {
      const { data, error } = await db.rpc("amocrm_replay_failed", { p_limit: limit });
      if (error) throw new StoreError("amocrm_replay_failed", error.message);
      return data as ReplayResult;
    },
  };
}
