/**
 * alerts-deliver's loop: claim a few due messages (leased for one attempt's time), check each
 * destination again (destination.ts), send them at once, record each outcome — until nothing is
 * due or the budget is spent. A message whose lease passed (this process died mid-send) is claimed
 * again by a later run as its next attempt; one recorded as delivered never is.
 *
 * @module
 */
import { type Logger, rememberSecret } from "../_shared/logger.ts";
import {
  destinationProblem,
  destinationSecrets,
  resolvedProblem,
  type Resolver,
} from "./destination.ts";
import { sendOnce } from "./send.ts";
import type { ClaimedMessage, OutboxStore, Settlement } from "./store.ts";

export interface DeliverDeps {
  store: OutboxStore;
  fetch: typeof fetch;
  logger: Logger;
  resolver: Resolver | null;
  now: () => number;
  projectHost: string;
  timeoutMs: number;
  concurrency: number;
  budgetMs: number;
  maxAttempts: number;
}

export interface DeliverySummary {
  claimed: number;
  delivered: number;
  retried: number;
  failed: number;
  /** Attempts whose lease had passed before they were recorded (nothing changed). */
  lost: number;
}

async function attempt(
  deps: DeliverDeps,
  msg: ClaimedMessage,
): Promise<Settlement> {
  const secrets = destinationSecrets(msg.url);
  rememberSecret(...secrets); // every log line of this process redacts them from now on
  const problem = destinationProblem(msg.url, msg.destination_kind, {
    allowLoopbackHttp: msg.allow_loopback_http,
    projectHost: deps.projectHost,
  }) ?? await resolvedProblem(msg.url, deps.resolver);
  if (problem) return { outcome: "failed", error: `not sent: ${problem}` };
  return await sendOnce(msg, {
    fetch: deps.fetch,
    timeoutMs: deps.timeoutMs,
    secrets,
  });
}

export async function deliverDue(deps: DeliverDeps): Promise<DeliverySummary> {
  const summary: DeliverySummary = {
    claimed: 0,
    delivered: 0,
    retried: 0,
    failed: 0,
    lost: 0,
  };
  const started = deps.now();
  // A lease covers one attempt: the request's timeout plus time to record it.
  const leaseSeconds = Math.ceil(deps.timeoutMs / 1000) + 30;
  while (deps.now() - started < deps.budgetMs - deps.timeoutMs) {
    const batch = await deps.store.claim(deps.concurrency, leaseSeconds);
    if (batch.length === 0) break;
    summary.claimed += batch.length;
    await Promise.all(batch.map(async (msg) => {
      const s = await attempt(deps, msg);
      const status = await deps.store.settle(msg, s, deps.maxAttempts);
      const fields = {
        outbox_id: msg.id,
        attempt: msg.attempt,
        kind: msg.kind,
        destination: msg.destination_kind,
        status_code: s.statusCode ?? null,
        error: s.error ?? null,
      };
      if (status === null) {
        summary.lost++;
        deps.logger.warn(
          "alert delivery outcome not recorded: the lease had passed",
          fields,
        );
      } else if (status === "delivered") {
        summary.delivered++;
        deps.logger.info("alert delivered", fields);
      } else if (status === "pending") {
        summary.retried++;
        deps.logger.warn("alert delivery failed; will retry", fields);
      } else {
        summary.failed++;
        deps.logger.error("alert delivery failed for good", fields);
      }
    }));
  }
  return summary;
}
