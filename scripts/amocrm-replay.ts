/**
 * `npm run amocrm:replay [-- --limit N]`: reprocesses AmoCRM webhook bodies whose processing
 * failed (and pending ones older than five minutes) by calling `public.amocrm_replay_failed`
 * through PostgREST with the service-role key.
 *
 * Reads SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY from the environment, else from the local
 * stack's `.stack/env` (or `$STACK_DIR/env`). Prints the summary as JSON; exits 1 when the call
 * fails, 0 otherwise (events that still fail are listed and stay `failed` for the next run).
 */
const ROOT = new URL("../", import.meta.url);

function stackFile(): Record<string, string> {
  const dir = Deno.env.get("STACK_DIR") ?? new URL(".stack", ROOT).pathname;
  try {
    const out: Record<string, string> = {};
    for (const line of Deno.readTextFileSync(`${dir}/env`).split("\n")) {
      const m = line.match(/^([A-Z_]+)=(.*)$/);
      if (m) out[m[1]] = m[2];
    }
    return out;
  } catch {
    return {};
  }
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

const file = stackFile();
const url = Deno.env.get("SUPABASE_URL") ?? file.SUPABASE_URL;
const key = Deno.env.get("SUPABASE_SERVICE_ROLE_KEY") ?? file.SUPABASE_SERVICE_ROLE_KEY;
if (!url || !key) {
  console.error(
    "SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY must be set (or start the local stack: " +
      "npm run stack:start).",
  );
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
