/**
 * The background drain: a webhook answered `pending` (other bodies were pending, or a drainer
 * was busy) is processed by `amocrm_drain_events`, called here after the answer. A drain first
 * waits `delayMs` (AMOCRM_DRAIN_DELAY_MS) so that the bodies arriving meanwhile are processed in
 * the same batches: processing has a fixed cost per batch, so under load a few bodies per batch
 * cost several times what they cost in batches of tens. One drain runs at a time per function
 * instance; kicks that arrive meanwhile make it run once more when it ends (so a body stored
 * during a drain is seen by the next one), never once per webhook. `amocrm_drain_events(wait)`
 * queues behind any other drainer, so whatever committed before the call is processed; the
 * pg_cron job `amocrm-drain` drains too, every minute, in case this instance stops first.
 *
 * @module
 */
import { describeError } from "../_shared/http.ts";
import type { Logger } from "../_shared/logger.ts";
import type { WebhookStore } from "./store.ts";

/** Starts the background drain, or asks the running one to go once more. */
export interface Drainer {
  /** Resolves when the drain this kick belongs to has ended; never rejects. */
  kick(): Promise<void>;
  /**
   * True from a kick until its drain has ended: bodies answered `pending` are waiting for it, so
   * a body arriving now goes with them rather than being processed alone by its request.
   */
  busy(): boolean;
}

/** A {@link Drainer} over the store's `drain` call. */
export function createDrainer(
  store: Pick<WebhookStore, "drain">,
  logger: Logger,
  delayMs = 0,
): Drainer {
  let running: Promise<void> | null = null;
  let again = false;

  async function run(): Promise<void> {
    try {
      do {
        // Gather: kicks during the wait are bodies this drain's call will see (committed first).
        if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
        again = false;
        const result = await store.drain();
        // Stopped at its time limit with bodies left: go on.
        if (result.more) again = true;
      } while (again);
    } catch (err) {
      logger.error(
        "background drain of pending webhooks failed; the pg_cron job amocrm-drain will take them",
        {
          error: describeError(err),
        },
      );
    } finally {
      running = null;
    }
  }

  return {
    busy: () => running !== null,
    kick() {
      if (running) {
        again = true;
        return running;
      }
      running = run();
      return running;
    },
  };
}
