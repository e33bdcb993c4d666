/**
 * Environment settings of the Meta client, parsed once with zod. A function's own `config.ts`
 * can call `parseFacebookEnv(env)` or extend `facebookEnvSchema`.
 *
 * @module
 */
import { z } from "../deps.ts";

/** Where the Graph API lives unless `FACEBOOK_GRAPH_URL` says otherwise. */
export const DEFAULT_GRAPH_URL = "https://graph.facebook.com";

/**
 * Default Graph/Marketing API version: the newest one Meta's docs confirm.
 * Source: Meta "Marketing API version history"
 * (https://developers.facebook.com/documentation/ads-commerce/marketing-api/marketing-api-changelog/versions)
 * lists v27.0 released November 4, 2026 (expiration TBD), v25.0 expiring February 23, 2027 and
 * v24.0 expired November 10, 2026; blog post "Introducing Graph API v27.0 and Marketing API v27.0"
 * (https://developers.facebook.com/blog/post/2026/11/04/introducing-graph-api-v27-and-marketing-api-v27/).
 * Marketing API versions live about a year, so revisit this default each spring and autumn.
 */
export const DEFAULT_API_VERSION = "v27.0";

const blankToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);

/** `FACEBOOK_GRAPH_URL`, `FACEBOOK_API_VERSION`, `FACEBOOK_APP_SECRET`, `FACEBOOK_ADS_TOKEN`. */
export const facebookEnvSchema = z.object({
  FACEBOOK_GRAPH_URL: z.preprocess(
    blankToUndefined,
    z.url({ protocol: /^https?$/, error: "FACEBOOK_GRAPH_URL must be an http(s) URL" })
      .default(DEFAULT_GRAPH_URL),
  ),
  FACEBOOK_API_VERSION: z.preprocess(
    blankToUndefined,
    z.string().regex(/^v\d+\.\d+$/, "FACEBOOK_API_VERSION must look like v27.0")
      .default(DEFAULT_API_VERSION),
  ),
  FACEBOOK_APP_SECRET: z.preprocess(blankToUndefined, z.string().optional()),
  FACEBOOK_ADS_TOKEN: z.preprocess(blankToUndefined, z.string().optional()),
});

/** The Meta settings a function needs. Secrets are absent, never defaulted. */
export interface FacebookEnv {
  graphUrl: string;
  apiVersion: string;
  appSecret?: string;
  /** Team-wide fallback token, used when a user has none of their own. */
  fallbackToken?: string;
}

/** Parses the Meta settings from `env`; throws an `Error` naming the bad variable. */
export function parseFacebookEnv(env: Record<string, string | undefined>): FacebookEnv {
  const r = facebookEnvSchema.safeParse(env);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`Invalid configuration: ${i.path.join(".")}: ${i.message}`);
  }
  return {
    graphUrl: r.data.FACEBOOK_GRAPH_URL.replace(/\/+$/, ""),
    apiVersion: r.data.FACEBOOK_API_VERSION,
    appSecret: r.data.FACEBOOK_APP_SECRET,
    fallbackToken: r.data.FACEBOOK_ADS_TOKEN,
  };
}
