/**
 * `npm run amocrm:replay [-- --limit N]`: reprocesses AmoCRM webhook bodies whose processing
 * failed (and pending ones older than five minutes) by calling `public.amocrm_replay_failed`
 * through PostgREST with the service-role key.
 *
 * Reads SUPABASE_URL and a service key (SUPABASE_SECRET_KEY, sb_secret_…, else the legacy
 * SUPABASE_SERVICE_ROLE_KEY) from the environment, else from the local
 * stack's `.stack/env` (or `$STACK_DIR/env`). Prints the summary as JSON; exits 1 when the call
 * fails, 0 otherwise (events that still fail are listed and stay `failed` for the next run).
 */
import { loadStackEnv, serviceKeyFromEnv } from "./lib/stack-env.ts";

const usage = "usage: npm run amocrm:replay -- [--limit N]   (N: 1..10000, default 100)\n" +
  "Reprocesses failed and stale pending AmoCRM webhook bodies. Local stack by default; a hosted\n" +
  "project with SUPABASE_URL and SUPABASE_SECRET_KEY (or SUPABASE_SERVICE_ROLE_KEY) set.";
if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
  console.log(usage);
  Deno.exit(0);
}

function limitArg(args: string[]): number {
  const i = args.indexOf("--limit");
  if (i === -1) return 100;
  const n = Number(args[i + 1]);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) {
    console.error("--limit must be an integer between 1 and 10000");
    Deno.exit(2);
  }
  return n;
}

let url: string, key: string;
try {
  url = loadStackEnv(["SUPABASE_URL"]).SUPABASE_URL;
  key = serviceKeyFromEnv().key;
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  Deno.exit(2);
}

const res = await fetch(`${url.replace(/\/+$/, "")}/rest/v1/rpc/amocrm_replay_failed`, {
  method: "POST",
  headers: {
    apikey: key,
    authorization: `Bearer ${key}`,
    "content-type": "application/json",
  },
  body: JSON.stringify({ p_limit: limitArg(Deno.args) }),
});
const text = await res.text();
if (!res.ok) {
  console.error(`amocrm_replay_failed answered ${res.status}: ${text}`);
  Deno.exit(1);
}
const summary = JSON.parse(text);
console.log(JSON.stringify(summary, null, 2));
if (summary.failed > 0) {
  console.error(`${summary.failed} event(s) still failing: see traffic_amocrm_events.error`);
}
