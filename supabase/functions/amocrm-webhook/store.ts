/**
 * The webhook's narrow view of the database: its SQL functions called through PostgREST with
 * the service key. The handler depends on {@link WebhookStore} only, so tests inject a fake.
 *
 * @module
 */
import type { SupabaseClient } from "../_shared/deps.ts";
import type { Webhook } from "../_shared/amocrm/mod.ts";
import { callRpc, StoreError } from "../_shared/store.ts";

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

/** The arguments `amocrm_ingest_event` and `amocrm_receive_event` both take: one body. */
function bodyArgs(input: IngestInput): Record<string, unknown> {
  return {
    p_raw_body: input.rawBody,
    p_content_type: input.contentType,
    p_sha256: input.sha256,
    p_payload: input.payload,
    p_account_id: input.accountId ?? null,
    p_subdomain: input.subdomain ?? null,
    p_event_count: input.eventCount,
  };
}

/** {@link WebhookStore} over supabase-js rpc calls (a client made with the service key). */
export function createStore(db: SupabaseClient): WebhookStore {
  return {
    async ingest(input, signal) {
      const data = await callRpc<{ event_id: number; duplicate: boolean }[] | null>(
        db,
        "amocrm_ingest_event",
        bodyArgs(input),
        signal,
      );
      const row = data?.[0];
      if (!row) throw new StoreError("amocrm_ingest_event", "returned no row");
      return { eventId: Number(row.event_id), duplicate: row.duplicate };
    },
    async receive(input, signal) {
      const row = await callRpc<
        { event_id: number; duplicate: boolean; status: string } | null
      >(db, "amocrm_receive_event", bodyArgs(input), signal);
      if (!row?.event_id) throw new StoreError("amocrm_receive_event", "returned no event");
      return {
        eventId: Number(row.event_id),
        duplicate: row.duplicate,
        status: row.status as ReceiveResult["status"],
      };
    },
    async reject(input, signal) {
      return Number(
        await callRpc(db, "amocrm_reject_event", {
          p_raw_body: input.rawBody,
          p_content_type: input.contentType,
          p_sha256: input.sha256,
          p_error: input.error,
        }, signal),
      );
    },
    async rejectUndecodable(input, signal) {
      return Number(
        await callRpc(db, "amocrm_reject_undecodable_event", {
          p_body_base64: input.bodyBase64,
          p_content_type: input.contentType,
          p_sha256: input.sha256,
          p_error: input.error,
        }, signal),
      );
    },
    process: (eventId) =>
      callRpc<ProcessResult>(db, "amocrm_process_event", { p_event_id: eventId }),
    replayFailed: (limit) => callRpc<ReplayResult>(db, "amocrm_replay_failed", { p_limit: limit }),
  };
}
