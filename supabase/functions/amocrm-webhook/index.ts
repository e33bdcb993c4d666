import { serviceClientKey } from "../_shared/auth.ts";
import { createServiceClient } from "../_shared/supabase.ts";
import { createLogger } from "../_shared/logger.ts";
import { loadConfig } from "./config.ts";
import { createHandler } from "./handler.ts";
import { createStore } from "./store.ts";
import { createDrainer } from "./drain.ts";

const config = loadConfig(Deno.env.toObject());
const db = createServiceClient(config.SUPABASE_URL, serviceClientKey(config));
// deno-lint-ignore no-explicit-any
const edge = (globalThis as any).EdgeRuntime as
  | { waitUntil(task: Promise<unknown>): void }
  | undefined;
const logger = createLogger({ fn: "amocrm-webhook" });
const store = createStore(db);
Deno.serve(createHandler({
  config,
  logger,
  store,
  drainer: createDrainer(store, logger, config.AMOCRM_DRAIN_DELAY_MS),
  waitUntil: edge ? (task) => edge.waitUntil(task) : undefined,
}));
