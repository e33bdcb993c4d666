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

/** Time kept in hand after a send's timeout to record its outcome before the lease passes. */
export const SETTLE_MARGIN_MS = 5_000;

async function attempt(
  deps: DeliverDeps,
  msg: ClaimedMessage,
  leaseEnds: number,
): Promise<Settlement> {
  const secrets = destinationSecrets(msg.url);
  rememberSecret(...secrets); // every log line of this process redacts them from now on
  const problem = destinationProblem(msg.url, msg.destination_kind, {
    allowLoopbackHttp: msg.allow_loopback_http,
    projectHost: deps.projectHost,
  });
  if (problem) return { outcome: "failed", error: `not sent: ${problem}` };
  // The DNS check runs under the same time limit as the send: a lookup that hangs must not
  // outlive the lease (another run would reclaim the message and send it too).
  const resolved = await resolvedProblem(
    msg.url,
    deps.resolver,
    deps.timeoutMs,
  );
  if (resolved) {
    return {
      outcome: resolved.outcome,
      error: `not sent: ${resolved.problem}`,
    };
  }
  // Send only while the lease outlasts the whole send and its recording; otherwise give the
  // message back unsent (a retry), so no later run can send it while this one still might.
  if (leaseEnds - deps.now() <= deps.timeoutMs + SETTLE_MARGIN_MS) {
    return {
      outcome: "retry",
      error: "not sent: too little of the lease was left to send",
    };
  }
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
  // A lease covers one attempt: the DNS check and the request (each within the timeout) plus
  // time to record the outcome.
  const leaseSeconds = Math.ceil((2 * deps.timeoutMs + SETTLE_MARGIN_MS) / 1000) + 30;
  while (deps.now() - started < deps.budgetMs - deps.timeoutMs) {
    // The lease is counted from before the claim: the database's clock started it no earlier.
    const leaseEnds = deps.now() + leaseSeconds * 1000;
    const batch = await deps.store.claim(deps.concurrency, leaseSeconds);
    if (batch.length === 0) break;
    summary.claimed += batch.length;
    await Promise.all(batch.map(async (msg) => {
      const s = await attempt(deps, msg, leaseEnds);
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
