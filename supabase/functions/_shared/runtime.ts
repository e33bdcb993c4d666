/**
 * What a sync function (fb-ads-sync, amocrm-sync) is handed by its `index.ts`: the runtime's
 * `fetch`, `sleep` and clock, injected so tests drive the network and time; and the shapes of its
 * handler's and one run's dependencies, written once.
 *
 * @module
 */
import type { SupabaseClient } from "./deps.ts";
import type { Logger } from "./logger.ts";

/** The network and the clock. */
export interface Runtime {
  /** fetch for the third party (Graph API, AmoCRM). */
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

/** The real ones, for `index.ts`. */
export const liveRuntime: Runtime = {
  fetch: (input, init) => fetch(input, init),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: Date.now,
};

/** A sync function's handler dependencies (`Store`: its `store.ts` port). */
export interface SyncHandlerDeps<Config, Store> extends Runtime {
  config: Config;
  logger: Logger;
  /** A supabase-js client with a service key (one per request). */
  supabase: () => SupabaseClient;
  /** The database port over that client; tests pass a fake. Default: the function's `createStore`. */
  store?: (client: SupabaseClient) => Store;
}

/** What one run needs besides its request. */
export interface RunDeps<Config, Store> extends Runtime {
  config: Config;
  store: Store;
  logger: Logger;
}
