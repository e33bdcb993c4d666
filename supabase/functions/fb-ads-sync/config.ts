/**
 * fb-ads-sync's environment, parsed once with zod. Secrets have no defaults; an invalid value
 * fails at cold start with a message naming the variable.
 *
 * @module
 */
import { serviceKeySchema } from "../_shared/auth.ts";
import { z } from "../_shared/deps.ts";
import { commonEnv, envInt as int, parseEnv } from "../_shared/env.ts";
import { type FacebookEnv, parseFacebookEnv } from "../_shared/facebook/mod.ts";

const schema = z.object({
  // SUPABASE_URL, TRAFFIC_TIMEZONE (the zone of "today" for the sync window: the team's accounts
  // report in Almaty time)
  ...commonEnv,
  /** Wall-clock budget of one invocation (ms); a wait that would pass it defers the account. */
  FB_SYNC_BUDGET_MS: int(5_000, 390_000, 120_000),
  /** Users synced at once when a request covers every user (`{ "days": N }` without user_id). */
  FB_SYNC_USER_CONCURRENCY: int(1, 8, 2),
  /** Ad accounts of one user fetched at once (Meta's quotas are per ad account). */
  FB_SYNC_ACCOUNT_CONCURRENCY: int(1, 8, 2),
  /** Rows per Graph API page (`limit`); Meta serves up to 500 insights rows per page. */
  FB_SYNC_PAGE_SIZE: int(25, 500, 500),
  /** Shortest first wait after a throttle (ms; doubles per retry, Meta's regain hint wins). */
  FB_SYNC_THROTTLE_BASE_MS: int(100, 600_000, 30_000),
}).and(serviceKeySchema); // a secret key or the legacy service_role key: _shared/auth.ts

export type Config = z.infer<typeof schema> & { facebook: FacebookEnv };

/** Parses the environment; the error names every missing or invalid variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const config = parseEnv("fb-ads-sync", schema, env);
  let facebook: FacebookEnv;
  try {
    facebook = parseFacebookEnv(env);
  } catch (err) {
    throw new Error(`fb-ads-sync configuration is invalid: ${(err as Error).message}`);
  }
  return { ...config, facebook };
}
