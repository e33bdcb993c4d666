/**
 * What a sync function (fb-ads-sync, amocrm-sync) is handed by its `index.ts`: the runtime's
 * `fetch`, `sleep` and clock, injected so tests drive the network and time; the shapes of its
 * handler's and one run's dependencies; and the plumbing both handlers share (the live
 * dependencies, the service-only `POST` route, one run's dependencies per request), written once.
 *
 * @module
 */
import { requireServiceCaller, serviceClientKey, type ServiceKeyConfig } from "./auth.ts";
import type { SupabaseClient } from "./deps.ts";
import { type Handler, outsideRoute, readJson, withErrors } from "./http.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createServiceClient } from "./supabase.ts";

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

/**
 * The live dependencies of sync function `fn` (its `index.ts`): its config, a logger named after
 * it, a service-key client per request, the real network and clock.
 */
export function liveSyncDeps<Config extends ServiceKeyConfig & { SUPABASE_URL: string }>(
  fn: string,
  config: Config,
): SyncHandlerDeps<Config, never> {
  return {
    config,
    logger: createLogger({ fn }),
    supabase: () => createServiceClient(config.SUPABASE_URL, serviceClientKey(config)),
    ...liveRuntime,
  };
}

/**
 * A sync function's handler: `POST <path>` only (`outsideRoute`), service callers only
 * (`requireServiceCaller`: 401/403), every error a JSON answer (`withErrors`). `handle` gets the
 * JSON body and `run()`, which builds one run's dependencies (the store over a fresh service
 * client: `deps.store`, else `createStore`) when it is called.
 */
export function syncHandler<Config extends ServiceKeyConfig, Store>(
  deps: SyncHandlerDeps<Config, Store>,
  path: string,
  createStore: (client: SupabaseClient) => Store,
  handle: (body: unknown, run: () => RunDeps<Config, Store>) => Promise<Response>,
): Handler {
  const makeStore = deps.store ?? createStore;
  const run = (): RunDeps<Config, Store> => ({
    config: deps.config,
    store: makeStore(deps.supabase()),
    logger: deps.logger,
    fetch: deps.fetch,
    sleep: deps.sleep,
    now: deps.now,
  });
  return withErrors(deps.logger, async (req) => {
    const refused = outsideRoute(req, path);
    if (refused) return refused;
    requireServiceCaller(req, deps.config);
    return await handle(await readJson(req), run);
  });
}
