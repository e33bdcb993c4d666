/**
 * What the handler and every route receive: the typed config, the logger, the `fetch` that
 * supabase-js uses (tests stub it), and a clock.
 *
 * @module
 */
import type { Logger } from "../_shared/logger.ts";
import type { Config } from "./config.ts";

export interface Deps {
  config: Config;
  logger: Logger;
  fetch: typeof fetch;
  /** The current time; defaults to the system clock. */
  now?: () => Date;
}

/** One request as a route sees it. */
export interface RouteContext {
  req: Request;
  url: URL;
  deps: Deps;
}

export type RouteHandler = (ctx: RouteContext) => Promise<Response>;
