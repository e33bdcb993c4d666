/**
 * alerts-deliver: POST only, service callers only (pg_cron through private.invoke_function when
 * a message is due, or by hand with `npm run invoke -- alerts-deliver`). Delivers due messages of
 * traffic_alert_outbox and answers counts — never a URL, a token or a message text.
 *
 * @module
 */
import { requireServiceCaller } from "../_shared/auth.ts";
import { z } from "../_shared/deps.ts";
import { errorResponse, type Handler, json, readJson, withErrors } from "../_shared/http.ts";
import { parseInput } from "../_shared/validation.ts";
import type { Logger } from "../_shared/logger.ts";
import type { Config } from "./config.ts";
import { deliverDue } from "./deliver.ts";
import type { Resolver } from "./destination.ts";
import type { OutboxStore } from "./store.ts";

export interface Deps {
  config: Config;
  logger: Logger;
  store: OutboxStore;
  fetch?: typeof fetch;
  resolver?: Resolver | null;
  now?: () => number;
}

const bodySchema = z.strictObject({
  triggered_by: z.string().trim().min(1).max(100).default("api"),
});

export function createHandler(deps: Deps): Handler {
  const projectHost = new URL(deps.config.SUPABASE_URL).host;
  return withErrors(deps.logger, async (req) => {
    requireServiceCaller(req, deps.config);
    if (req.method !== "POST") {
      return errorResponse(405, "method_not_allowed", "Use POST.", {
        allow: "POST",
      });
    }
    const body = parseInput(bodySchema, await readJson(req, 10_000));
    const summary = await deliverDue({
      store: deps.store,
      fetch: deps.fetch ?? fetch,
      logger: deps.logger,
      resolver: deps.resolver ?? null,
      now: deps.now ?? Date.now,
      projectHost,
      timeoutMs: deps.config.ALERTS_DELIVER_TIMEOUT_MS,
      concurrency: deps.config.ALERTS_DELIVER_CONCURRENCY,
      budgetMs: deps.config.ALERTS_DELIVER_BUDGET_MS,
      maxAttempts: deps.config.ALERTS_MAX_ATTEMPTS,
    });
    deps.logger.info("alerts-deliver run", {
      triggered_by: body.triggered_by,
      ...summary,
    });
    return json(summary);
  });
}
