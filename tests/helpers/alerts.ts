/**
 * Test helpers for the alerts (issue 15).
 *
 * @module
 */
import { db, whileHolding } from "./stack.ts";

/**
 * Runs `body` while a separate connection holds the evaluator's advisory lock (the one
 * public.traffic_alerts_evaluate() takes first): a pg_cron run of traffic-alerts (every 5
 * minutes) that starts meanwhile waits, so it cannot resolve a test's made-up alerts mid-test;
 * one already running is waited for before `body` starts. `body` must not run the evaluator
 * itself (it would wait for this lock).
 */
export async function withEvaluatorHeld<T>(body: () => Promise<T>): Promise<T> {
  const lock = db();
  try {
    return await whileHolding(
      lock,
      (tx) => tx`select pg_advisory_xact_lock(hashtext('traffic_alerts_evaluate'))`,
      body,
    );
  } finally {
    await lock.end();
  }
}
