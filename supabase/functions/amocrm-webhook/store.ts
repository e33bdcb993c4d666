/**
 * The webhook's narrow view of the database: its SQL functions called through PostgREST with
 * the service key. The handler depends on {@link WebhookStore} only, so tests inject a fake.
 *
 * @module
 */
import type { SupabaseClient } from "../_shared/deps.ts";
import type { Webhook } from "../_shared/amocrm/mod.ts";
import { callRpc, StoreError } from "../_shared/store.ts";

/** One body to store (`amocrm_receive_event`). */
export interface IngestInput {
  rawBody: string;
  contentType: string | null;
  /** The parsed body; its SHA-256 (the dedupe key) is computed by Postgres from `rawBody`. */
  payload: Webhook;
  accountId?: string;
  subdomain?: string;
  eventCount: number;
}

/** What every body kept as `rejected` carries besides the body: where it came from and why. */
interface RejectedFields {
  contentType: string | null;
  /** SHA-256 of the bytes received (for base64, not of the base64 text). */
  sha256: string;
  error: string;
}

/** A body that is not a valid AmoCRM webhook, kept as text (`amocrm_reject_event`). */
export interface RejectInput extends RejectedFields {
  rawBody: string;
}

/** A body Postgres text cannot hold, kept as base64 (`amocrm_reject_undecodable_event`). */
export interface RejectUndecodableInput extends RejectedFields {
  bodyBase64: string;
}

/** Where the body went: its event id, and whether the same body was stored before. */
export interface IngestResult {
  eventId: number;
  duplicate: boolean;
}

/**
 * What `amocrm_receive_event` reports: the body's event id, whether it was stored before, and
 * its status: `processed` / `ignored` / `failed` when this call processed it (or it was before),
 * `pending` when the background drain takes it (it was busy, or another drainer was) or
 * processing could not run.
 */
export interface ReceiveResult extends IngestResult {
  status: "processed" | "ignored" | "failed" | "pending";
}

/**
 * What the drainer reads of `amocrm_drain_events`' answer: whether bodies are left (it stopped at
 * its time limit). The answer also counts the bodies drained and says whether another drainer
 * was busy; those are for the pg_cron job's run log (`cron.job_run_details`), not the function.
 */
export interface DrainResult {
  more: boolean;
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
  /**
   * Stores the body and, with `process` (the caller's background drain is idle) and no drainer
   * busy, processes it — this body alone — in the same transaction: one call, one commit.
   */
  receive(input: IngestInput, process: boolean, signal?: AbortSignal): Promise<ReceiveResult>;
  /**
   * Keeps a body that is refused (status `rejected`): as text, or as base64 when text cannot hold
   * its bytes (NUL, invalid UTF-8). Returns its event id.
   */
  reject(input: RejectInput | RejectUndecodableInput, signal?: AbortSignal): Promise<number>;
  /** Processes pending bodies in batches, after any drainer already running. */
  drain(): Promise<DrainResult>;
  replayFailed(limit: number): Promise<ReplayResult>;
}

/** The arguments of `amocrm_receive_event` (those of `amocrm_ingest_event`): one body. */
function bodyArgs(input: IngestInput): Record<string, unknown> {
  return {
    p_raw_body: input.rawBody,
    p_content_type: input.contentType,
    p_sha256: null, // computed by amocrm_ingest_event from p_raw_body
    p_payload: input.payload,
    p_account_id: input.accountId ?? null,
    p_subdomain: input.subdomain ?? null,
    p_event_count: input.eventCount,
  };
}

/** {@link WebhookStore} over supabase-js rpc calls (a client made with the service key). */
export function createStore(db: SupabaseClient): WebhookStore {
  return {
    async receive(input, process, signal) {
      const row = await callRpc<
        { event_id: number; duplicate: boolean; status: string } | null
      >(db, "amocrm_receive_event", { ...bodyArgs(input), p_process: process }, signal);
      if (!row?.event_id) throw new StoreError("amocrm_receive_event", "returned no event");
      return {
        eventId: Number(row.event_id),
        duplicate: row.duplicate,
        status: row.status as ReceiveResult["status"],
      };
    },
    async reject(input, signal) {
      const fields = {
        p_content_type: input.contentType,
        p_sha256: input.sha256,
        p_error: input.error,
      };
      const id = "bodyBase64" in input
        ? callRpc(db, "amocrm_reject_undecodable_event", {
          p_body_base64: input.bodyBase64,
          ...fields,
        }, signal)
        : callRpc(db, "amocrm_reject_event", { p_raw_body: input.rawBody, ...fields }, signal);
      return Number(await id);
    },
    drain: () => callRpc<DrainResult>(db, "amocrm_drain_events", { p_wait: true }),
    replayFailed: (limit) => callRpc<ReplayResult>(db, "amocrm_replay_failed", { p_limit: limit }),
  };
}
