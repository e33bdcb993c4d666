/**
 * What the handler and both routes (`receive.ts`, `replay.ts`) receive: the typed config, the
 * logger, the store and the runtime's `waitUntil`. Its own module, so the routes need not import
 * the handler that imports them.
 *
 * @module
 */
import type { Logger } from "../_shared/logger.ts";
import type { Config } from "./config.ts";
import type { Drainer } from "./drain.ts";
import type { WebhookStore } from "./store.ts";

export interface Deps {
  config: Config;
  logger: Logger;
  store: WebhookStore;
  /** The background drain of bodies answered `pending` (one per function instance). */
  drainer: Drainer;
  /** `EdgeRuntime.waitUntil` where the runtime has it: keeps the background drain alive. */
  waitUntil?: (task: Promise<unknown>) => void;
}
