/**
 * aggregate-metrics: POST only, service callers only. Recomputes traffic_aggregated_metrics for
 * today / 7d / 30d (see README.md).
 *
 * @module
 */
import { requireServiceCaller } from "../_shared/auth.ts";
import { localDate } from "../_shared/dates.ts";
import { z } from "../_shared/deps.ts";
import {
  errorResponse,
  type Handler,
  HttpError,
  json,
  readJson,
  withErrors,
} from "../_shared/http.ts";
import type { Logger } from "../_shared/logger.ts";
import type { NbkClient } from "../_shared/exchange-rates/mod.ts";
import type { Config } from "./config.ts";
import { runAggregation } from "./run.ts";
import type { AggregationStore } from "./store.ts";
import { parseInput } from "../_shared/validation.ts";

export interface Deps {
  config: Config;
  logger: Logger;
  store: AggregationStore;
  nbk: NbkClient;
  now?: () => number;
}

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "today must be YYYY-MM-DD")
  .refine((s) => new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), "today is not a date");

const bodySchema = z.strictObject({
  today: isoDate.optional(),
  sync_type: z.enum(["aggregation", "full"]).default("aggregation"),
  triggered_by: z.string().trim().min(1).max(100).default("api"),
});

/**
 * A `today` other than the real local day would replace the live dashboard rows (today / 7d /
 * 30d) with another day's figures: refused (400) unless AGGREGATE_METRICS_ALLOW_WHAT_IF is on.
 */
function refuseWhatIf(today: string | undefined, nowMs: number, config: Config): void {
  if (today === undefined || config.AGGREGATE_METRICS_ALLOW_WHAT_IF) return;
  const real = localDate(nowMs, config.TRAFFIC_TIMEZONE);
  if (today === real) return;
  throw new HttpError(
    400,
    "what_if_not_allowed",
    `today ${today} is not today in ${config.TRAFFIC_TIMEZONE} (${real}): the run would ` +
      "replace the dashboard's live numbers with that day's. Omit today, or set " +
      "AGGREGATE_METRICS_ALLOW_WHAT_IF=true on a stack whose numbers are throwaway.",
  );
}

/** Builds the request handler. */
export function createHandler(deps: Deps): Handler {
  const now = deps.now ?? Date.now;
  return withErrors(deps.logger, async (req) => {
    requireServiceCaller(req, deps.config);
    if (req.method !== "POST") {
      return errorResponse(405, "method_not_allowed", "Use POST.", { allow: "POST" });
    }
    const body = parseInput(bodySchema, await readJson(req));
    refuseWhatIf(body.today, now(), deps.config);
    const outcome = await runAggregation({
      store: deps.store,
      nbk: deps.nbk,
      logger: deps.logger,
      now,
      timezone: deps.config.TRAFFIC_TIMEZONE,
    }, {
      today: body.today,
      syncType: body.sync_type,
      triggeredBy: body.triggered_by,
    });
    switch (outcome.kind) {
      case "ok":
        return json(outcome.body);
      case "skipped":
        return json({
          error: {
            code: "run_in_progress",
            message: "Another aggregate-metrics run is in progress; this one was skipped.",
          },
          history_id: outcome.historyId,
        }, 409);
      case "failed":
        return json({
          error: { code: outcome.code, message: outcome.message },
          history_id: outcome.historyId,
        }, outcome.code === "missing_exchange_rate" ? 503 : 500);
    }
  });
}
