/**
 * A fake {@link WebhookStore} and request builders for the amocrm-webhook handler tests: no
 * database, no network, every call recorded.
 *
 * @module
 */
import { apiKeys } from "../../../scripts/lib/jwt.ts";
import { type Config, loadConfig } from "../../../supabase/functions/amocrm-webhook/config.ts";
import { createHandler } from "../../../supabase/functions/amocrm-webhook/handler.ts";
import { createDrainer } from "../../../supabase/functions/amocrm-webhook/drain.ts";
import type {
  DrainResult,
  IngestInput,
  ReceiveResult,
  RejectInput,
  RejectUndecodableInput,
  ReplayResult,
  WebhookStore,
} from "../../../supabase/functions/amocrm-webhook/store.ts";
import { memoryLogger } from "../../../supabase/functions/_shared/logger.ts";

export const SECRET = "unit-test-secret";
export const KEYS = await apiKeys("unit-test-jwt-secret");

/** A config as the function would load it, with overrides. */
export function testConfig(env: Record<string, string | undefined> = {}): Config {
  return loadConfig({
    SUPABASE_URL: "http://127.0.0.1:1",
    SUPABASE_SERVICE_ROLE_KEY: KEYS.serviceRole,
    AMOCRM_WEBHOOK_SECRET: SECRET,
    ...env,
  });
}

/** A store that records calls; behaviours are swapped per test. */
export class FakeStore implements WebhookStore {
  /** Every body `receive` stored (a duplicate too). */
  ingested: IngestInput[] = [];
  rejected: RejectInput[] = [];
  undecodable: RejectUndecodableInput[] = [];
  rejectError: Error | null = null;
  /** Event ids `receive` answered for (stored). */
  processed: number[] = [];
  /** The `process` flag of each `receive` call. */
  processFlags: boolean[] = [];
  replays: number[] = [];
  drains = 0;
  /** `receive` fails (nothing stored) with this. */
  ingestError: Error | null = null;
  /** The status `receive` reports for a stored body. */
  statusImpl: (id: number) => Promise<ReceiveResult["status"]> = () => Promise.resolve("processed");
  drainImpl: () => Promise<DrainResult> = () => Promise.resolve({ more: false });
  /** Event ids by body: Postgres keys a body by the SHA-256 of its text, so by its text. */
  private byBody = new Map<string, number>();

  async receive(input: IngestInput, process: boolean): Promise<ReceiveResult> {
    if (this.ingestError) throw this.ingestError;
    this.processFlags.push(process);
    this.ingested.push(input);
    const existing = this.byBody.get(input.rawBody);
    const eventId = existing ?? this.byBody.size + 1;
    this.byBody.set(input.rawBody, eventId);
    const status = await this.statusImpl(eventId);
    this.processed.push(eventId);
    return { eventId, duplicate: existing !== undefined, status };
  }
  drain(): Promise<DrainResult> {
    this.drains++;
    return this.drainImpl();
  }
  reject(input: RejectInput | RejectUndecodableInput) {
    if (this.rejectError) return Promise.reject(this.rejectError);
    if ("bodyBase64" in input) {
      this.undecodable.push(input);
      return Promise.resolve(2000 + this.undecodable.length);
    }
    this.rejected.push(input);
    return Promise.resolve(1000 + this.rejected.length);
  }
  replayFailed(limit: number): Promise<ReplayResult> {
    this.replays.push(limit);
    return Promise.resolve({ selected: 0, event_ids: [], processed: 0, ignored: 0, failed: 0 });
  }
}

/** The handler over a fake store and a memory logger. */
export function setup(env: Record<string, string | undefined> = {}) {
  const store = new FakeStore();
  const logger = memoryLogger();
  const waited: Promise<unknown>[] = [];
  const handler = createHandler({
    config: testConfig(env),
    logger,
    store,
    drainer: createDrainer(store, logger),
    waitUntil: (task) => waited.push(task),
  });
  return { handler, store, logger, waited };
}

/** A webhook POST as the function sees it (path `/amocrm-webhook`). */
export function webhook(
  body: BodyInit | null,
  opts: { query?: string; headers?: Record<string, string>; method?: string } = {},
): Request {
  return new Request(`http://fn.local/amocrm-webhook${opts.query ?? `?secret=${SECRET}`}`, {
    method: opts.method ?? "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...opts.headers },
    body,
  });
}
