/**
 * The dashboard links `npm run demo` prints: the page the local stack's gateway serves at
 * `/dashboard/`, signed in with a JWT minted with the stack's secret (the local stack has no
 * Supabase Auth). The token travels in the URL fragment, which the browser never sends to a
 * server; the page keeps it for the tab and says it is a local session.
 *
 * @module
 */
import { userJwt } from "../lib/jwt.ts";
import type { StackEnv } from "../lib/stack-env.ts";

/** How long a printed link signs the page in. */
export const LINK_TTL_SECONDS = 24 * 3600;

/** The page's URL on the local stack. */
export function dashboardUrl(supabaseUrl: string): string {
  return `${supabaseUrl.replace(/\/+$/, "")}/dashboard/`;
}

/** A link that opens the dashboard signed in as `user`. */
export async function signedInLink(
  env: Pick<StackEnv, "SUPABASE_URL" | "SUPABASE_ANON_KEY" | "SUPABASE_JWT_SECRET">,
  user: { id: string; email: string; admin?: boolean },
  ttlSeconds = LINK_TTL_SECONDS,
): Promise<string> {
  const jwt = await userJwt(env.SUPABASE_JWT_SECRET, {
    id: user.id,
    email: user.email,
    appMetadata: user.admin ? { traffic_role: "admin" } : {},
  }, ttlSeconds);
  const q = new URLSearchParams({ anon_key: env.SUPABASE_ANON_KEY });
  return `${dashboardUrl(env.SUPABASE_URL)}?${q}#local_access_token=${jwt}`;
}
