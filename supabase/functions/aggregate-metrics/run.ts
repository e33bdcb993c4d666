/**
 * One aggregation run, independent of HTTP: take the lock, fetch the missing official rates,
 * let SQL compute and upsert every metric, record the run in traffic_sync_history, free the lock.
 *
 * @module
 */
import { addDays, localDate } from "../_shared/dates.ts";
import { describeError } from "../_shared/http.ts";
import { isMissingExchangeRate } from "../_shared/sqlstate.ts";
import type { NbkClient } from "../_shared/exchange-rates/mod.ts";
import type { Logger } from "../_shared/logger.ts";
import { fetchMissingRates } from "./rates.ts";
import { StoreError } from "../_shared/store.ts";
import type { AggregateSummary, AggregationStore } from "./store.ts";

export const LOCK_KEY = "aggregate-metrics";
/** Longer than any run may take (the Edge Runtime stops a request after 150 s). */
export const LOCK_TTL_SECONDS = 300;

export interface RunDeps {
  store: AggregationStore;
  nbk: NbkClient;
  logger: Logger;
  now: () => number;
  timezone: string;
}

export interface RunInput {
  today?: string;
  syncType: "aggregation" | "full";
  triggeredBy: string;
}

export type RunOutcome =
  | { kind: "ok"; historyId: number; summary: AggregateSummary; body: Record<string, unknown> }
  | { kind: "skipped"; historyId: number }
  | { kind: "failed"; historyId: number; code: string; message: string; exposable: boolean };

/** Runs one aggregation. Throws only when the database cannot even record the run. */
export async function runAggregation(deps: RunDeps, input: RunInput): Promise<RunOutcome> {
  const { store, logger } = deps;
  const startedMs = deps.now();
  const base = {
    sync_type: input.syncType,
    triggered_by: input.triggeredBy,
    started_at: new Date(startedMs).toISOString(),
  };
  const elapsed = () => Math.max(0, Math.round(deps.now() - startedMs));

  const holder = await store.tryLock(LOCK_KEY, LOCK_TTL_SECONDS);
  if (!holder) {
    const historyId = await store.startHistory({
      ...base,
      finished_at: new Date(deps.now()).toISOString(),
      success: false,
      duration_ms: elapsed(),
      error_message: "Skipped: another aggregate-metrics run holds the lock.",
      details: { skipped: true, reason: "locked", lock_key: LOCK_KEY },
    });
    logger.info("aggregation skipped: locked", { history_id: historyId });
    return { kind: "skipped", historyId };
  }

  const today = input.today ?? localDate(startedMs, deps.timezone);
  const from = addDays(today, -29);
  let historyId: number | undefined;
  const details: Record<string, unknown> = { today, timezone: deps.timezone, warnings: [] };
  try {
    historyId = await store.startHistory({ ...base, success: null, details });

    const needs = await store.rateDatesNeeded(from, today);
    const rates = await fetchMissingRates(deps.nbk, needs, logger, { now: deps.now });
    await store.upsertRates(rates.rows);
    details.rates = {
      missing: needs,
      requested_days: rates.requested,
      fetched_days: rates.fetched,
      stored: rates.rows.length,
      source_down: rates.sourceDown,
    };
    const warnings = [...rates.warnings];
    if (rates.sourceDown) {
      warnings.unshift("exchange rates feed unavailable: continuing with the last known rates");
    }
    details.warnings = warnings;

    // A manual full sync recomputes every targetologist, not only those whose data changed.
    if (input.syncType === "full") await store.requestFullRun();
    const summary = await store.aggregate(deps.timezone, today);
    if (summary.missing_rates.length > 0) {
      warnings.push(
        `converted with an earlier day's rate: ${
          summary.missing_rates.map((m) => `${m.currency} ${m.rate_date}`).join(", ")
        }`,
      );
    }
    Object.assign(details, {
      mode: summary.mode,
      users_recomputed: summary.users_recomputed,
      periods: summary.periods,
      rows_changed: summary.rows_changed,
      rows_deleted: summary.rows_deleted,
      missing_rates: summary.missing_rates,
      attribution: summary.attribution,
    });
    const duration = elapsed();
    await store.finishHistory(historyId, {
      finished_at: new Date(deps.now()).toISOString(),
      success: true,
      users_processed: summary.users,
      records_synced: summary.rows_written,
      duration_ms: duration,
      details,
    });
    logger.info("aggregation done", {
      history_id: historyId,
      rows: summary.rows_written,
      users: summary.users,
      duration_ms: duration,
      warnings: warnings.length,
    });
    return {
      kind: "ok",
      historyId,
      summary,
      body: {
        ok: true,
        history_id: historyId,
        sync_type: input.syncType,
        today,
        timezone: deps.timezone,
        mode: summary.mode,
        rows_written: summary.rows_written,
        rows_changed: summary.rows_changed,
        rows_deleted: summary.rows_deleted,
        users: summary.users,
        users_recomputed: summary.users_recomputed,
        periods: summary.periods,
        rates: details.rates,
        missing_rates: summary.missing_rates,
        attribution: summary.attribution,
        warnings,
        duration_ms: duration,
      },
    };
  } catch (err) {
    const missingRate = err instanceof StoreError && isMissingExchangeRate(err);
    const message = err instanceof Error ? err.message : describeError(err);
    logger.error("aggregation failed", { history_id: historyId, error: describeError(err) });
    if (historyId === undefined) throw err;
    await store.finishHistory(historyId, {
      finished_at: new Date(deps.now()).toISOString(),
      success: false,
      duration_ms: elapsed(),
      error_message: message,
      details,
    }).catch((e) => logger.error("history update failed", { error: describeError(e) }));
    return {
      kind: "failed",
      historyId,
      code: missingRate ? "missing_exchange_rate" : "aggregation_failed",
      // The missing rate's own message (our SQL's, meant to be read); nothing else leaves.
      message: missingRate
        ? (err as StoreError).detail
        : `Aggregation failed (traffic_sync_history id ${historyId}).`,
      exposable: missingRate,
    };
  } finally {
    await store.releaseLock(LOCK_KEY, holder).catch((e) =>
      logger.error("lock release failed", { error: describeError(e) })
    );
  }
}
