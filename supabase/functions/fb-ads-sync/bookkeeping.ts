/**
 * Bookkeeping that must outlive a database outage: closing the run's history row and freeing a
 * user's lease. When Postgres or PostgREST is down at the moment a run ends, the call is retried
 * (250 ms doubling to 4 s) until it succeeds or `until` passes; only then is it given up, and the
 * database's own clean-up takes over (`traffic_close_stale_runs` closes the row as failed once
 * its `expires_at` passes; the lease's TTL frees it).
 *
 * @module
 */

/** Clock and sleep of the retry loop (the run's, so tests can drive them). */
export interface RetryClock {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

/** How long a run keeps retrying its bookkeeping after it ended, at most. */
export const BOOKKEEPING_RETRY_MS = 45_000;

/**
 * Calls `fn` until it resolves or `until` (epoch ms in `clock`) passes; rethrows the last error.
 * `onRetry` hears about each failed attempt.
 */
export async function persist<T>(
  clock: RetryClock,
  until: number,
  fn: () => Promise<T>,
  onRetry: (err: unknown, attempt: number) => void = () => {},
): Promise<T> {
  let delay = 250;
  for (let attempt = 1;; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (clock.now() + delay > until) throw err;
      onRetry(err, attempt);
      await clock.sleep(delay);
      delay = Math.min(delay * 2, 4000);
    }
  }
}
