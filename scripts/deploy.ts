/**
 * `npm run deploy -- --project-ref <ref>` prints the deploy, step by step, for one project (the
 * commands docs/deploy.md explains; nothing is run). `npm run deploy:check` (= `--check`) verifies
 * a deployed project and says what is missing:
 *
 * - each function answers: traffic-api's /health (with the publishable or anon key) says the
 *   database is up; each service function accepts the service key (a harmless POST with a body
 *   every function refuses with 400 after its key check: nothing runs);
 * - the platform's `verify_jwt` did not stop a key-only call (config.toml deployed);
 * - the cron jobs exist and are active, the Vault secrets the jobs read are present and
 *   `project_url` is this project's URL, and recent deliveries were not refused (401);
 *   through `public.traffic_deploy_check()` over PostgREST, so no database password is needed.
 *
 * The project: `--project-url https://<ref>.supabase.co` (or SUPABASE_URL); the keys from the
 * environment: SUPABASE_SECRET_KEY (or the legacy SUPABASE_SERVICE_ROLE_KEY) and
 * SUPABASE_PUBLISHABLE_KEY (or SUPABASE_ANON_KEY). Without them, the local stack's .stack/env.
 * Exits 0 when everything is in place, 1 when something is missing, 2 on a usage problem.
 */
import { parseArgs } from "node:util";
import { fail, helpIfAsked } from "./lib/cli.ts";
import { readDotenv, stackEnvFile } from "./lib/stack-env.ts";

const usage = `usage: npm run deploy:check [-- --project-url https://<ref>.supabase.co]
       npm run deploy -- --project-ref <ref>        (prints the deploy steps)

--check verifies a deployed project: functions answer and accept the service key, verify_jwt is
off, cron jobs exist and are active, Vault secrets are present, recent cron deliveries succeeded.
Keys come from the environment (SUPABASE_SECRET_KEY or SUPABASE_SERVICE_ROLE_KEY;
SUPABASE_PUBLISHABLE_KEY or SUPABASE_ANON_KEY), else from the local stack (.stack/env).
Exits 0 when all is in place, 1 when something is missing.`;

/** The functions a deployment has (each folder of supabase/functions with an index.ts). */
export function deployedFunctions(
  root = new URL("../supabase/functions/", import.meta.url),
) {
  const out: string[] = [];
  for (const e of Deno.readDirSync(root)) {
    if (!e.isDirectory || e.name.startsWith("_")) continue;
    try {
      Deno.statSync(new URL(`${e.name}/index.ts`, root));
      out.push(e.name);
    } catch {
      // not a function
    }
  }
  return out.sort();
}

/** The cron jobs the migrations schedule (their names are stable: CONTRACT). */
const expectedJobs = (fns: string[]) =>
  ["aggregate-metrics", "fb-ads-sync", "amocrm-sync"].filter((j) => fns.includes(j));

/**
 * Service functions known to refuse `{"deploy_check": true}` with 400 after their key check (a
 * strict body schema), so the probe proves the key is accepted and runs nothing. Any other
 * function gets a GET, which proves only that it is deployed.
 */
const STRICT_BODY = new Set([
  "fb-ads-sync",
  "aggregate-metrics",
  "amocrm-webhook",
  "alerts-deliver",
]);

helpIfAsked(usage);
let opt;
try {
  opt = parseArgs({
    args: Deno.args,
    options: {
      check: { type: "boolean", default: false },
      "project-url": { type: "string" },
      "project-ref": { type: "string" },
    },
  }).values;
} catch (err) {
  fail(`${err instanceof Error ? err.message : err}\n${usage}`);
}

if (!opt.check) {
  const ref = opt["project-ref"];
  if (!ref || !/^[a-z0-9]{6,40}$/.test(ref)) {
    fail(`give --project-ref <ref> (or --check)\n${usage}`);
  }
  const fns = deployedFunctions();
  console.log(
    `# Deploy traffic-sync to project ${ref} (docs/deploy.md explains each step)
npx supabase login
npx supabase link --project-ref ${ref}
npm run env:production                      # creates supabase/.env.production (git-ignored); fill it in
npx supabase secrets set --env-file supabase/.env.production
npx supabase db push                        # migrations: tables, functions, cron jobs
# Vault secrets the cron jobs read (SQL editor, or psql with the database URL):
#   select vault.create_secret('https://${ref}.supabase.co', 'project_url');
#   select vault.create_secret('<sb_secret_… key>', 'secret_key');
${fns.map((f) => `npx supabase functions deploy ${f}`).join("\n")}
SUPABASE_SECRET_KEY=sb_secret_… SUPABASE_PUBLISHABLE_KEY=sb_publishable_… \\
  npm run deploy:check -- --project-url https://${ref}.supabase.co`,
  );
  Deno.exit(0);
}

const hosted = opt["project-url"] ?? Deno.env.get("SUPABASE_URL");
const file = opt["project-url"] ? {} : readDotenv(stackEnvFile());
const setting = (k: string) => Deno.env.get(k) ?? (file as Record<string, string>)[k] ?? "";
const base = (hosted ?? setting("SUPABASE_URL")).replace(/\/+$/, "");
if (!base) {
  fail(
    "no project: pass --project-url https://<ref>.supabase.co (or start the local stack)",
  );
}
const serviceKey = setting("SUPABASE_SECRET_KEY") ||
  setting("SUPABASE_SERVICE_ROLE_KEY");
const clientKey = setting("SUPABASE_PUBLISHABLE_KEY") ||
  setting("SUPABASE_ANON_KEY");
if (!serviceKey) {
  fail("set SUPABASE_SECRET_KEY (sb_secret_…) or SUPABASE_SERVICE_ROLE_KEY");
}
if (!clientKey) {
  fail("set SUPABASE_PUBLISHABLE_KEY (sb_publishable_…) or SUPABASE_ANON_KEY");
}

const missing: string[] = [];
const ok = (line: string) => console.log(`  ✓ ${line}`);
const bad = (line: string, fix: string) => {
  console.log(`  ✗ ${line}\n      → ${fix}`);
  missing.push(line);
};

function serviceHeaders(): Record<string, string> {
  const h: Record<string, string> = {
    apikey: serviceKey,
    "content-type": "application/json",
  };
  if (!serviceKey.startsWith("sb_")) h.authorization = `Bearer ${serviceKey}`;
  return h;
}

async function call(
  url: string,
  init: RequestInit,
): Promise<{ status: number; body: unknown }> {
  try {
    const res = await fetch(url, {
      ...init,
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body };
  } catch (err) {
    return {
      status: 0,
      body: err instanceof Error ? err.message : String(err),
    };
  }
}

/** The platform gateway's own errors are `{code, message}`; our functions answer `{error: …}`. */
const fromGateway = (body: unknown) =>
  !!body && typeof body === "object" && "message" in body && !("error" in body);

console.log(`Checking ${base}\n\nFunctions`);
const fns = deployedFunctions();
for (const fn of fns) {
  if (fn === "traffic-api") {
    const r = await call(`${base}/functions/v1/traffic-api/health`, {
      headers: { apikey: clientKey },
    });
    const b = r.body as { status?: string; database?: string };
    if (r.status === 200 && b?.database === "up") {
      ok("traffic-api answers /health; database up");
    } else if (r.status === 404) {
      bad(
        "traffic-api is not deployed",
        "npx supabase functions deploy traffic-api",
      );
    } else if (r.status === 401 && fromGateway(r.body)) {
      bad(
        "traffic-api: the platform's verify_jwt refused a key-only call",
        "deploy with supabase/config.toml (verify_jwt = false): npx supabase functions deploy traffic-api",
      );
    } else {
      bad(
        `traffic-api /health answered ${r.status} ${JSON.stringify(r.body).slice(0, 120)}`,
        "read the function's logs in the dashboard (Edge Functions → traffic-api → Logs)",
      );
    }
    continue;
  }
  if (!STRICT_BODY.has(fn)) {
    const g = await call(`${base}/functions/v1/${fn}`, {
      headers: serviceHeaders(),
    });
    if (g.status === 404 && fromGateway(g.body)) {
      bad(`${fn} is not deployed`, `npx supabase functions deploy ${fn}`);
    } else if (g.status === 0) {
      bad(`${fn}: no answer (${g.body})`, `check the URL ${base}`);
    } else {ok(
        `${fn} is deployed (GET answered ${g.status}; its key check is not probed)`,
      );}
    continue;
  }
  // A body these functions refuse (400) after they have accepted the key: nothing runs.
  const path = fn === "amocrm-webhook" ? "?replay=deploy-check" : "";
  const r = await call(`${base}/functions/v1/${fn}${path}`, {
    method: "POST",
    headers: serviceHeaders(),
    body: JSON.stringify({ deploy_check: true }),
  });
  if (r.status === 400 || r.status === 422) {
    ok(`${fn} answers and accepts the service key`);
  } else if (r.status === 404 && fromGateway(r.body)) {
    bad(`${fn} is not deployed`, `npx supabase functions deploy ${fn}`);
  } else if (r.status === 401 && fromGateway(r.body)) {
    bad(
      `${fn}: the platform's verify_jwt refused the key`,
      `deploy with supabase/config.toml (verify_jwt = false): npx supabase functions deploy ${fn}`,
    );
  } else if (r.status === 401 || r.status === 403) {
    bad(
      `${fn} refused the service key (${r.status})`,
      "use a key of this project: Settings → API Keys (SUPABASE_SECRET_KEY)",
    );
  } else if (r.status === 0) {
    bad(`${fn}: no answer (${r.body})`, `check the URL ${base}`);
  } else if (r.status >= 500) {
    bad(
      `${fn} answered ${r.status} ${JSON.stringify(r.body).slice(0, 160)}`,
      "a secret is probably missing: npx supabase secrets set --env-file supabase/.env.production",
    );
  } else ok(`${fn} answers (${r.status})`);
}

console.log("\nDatabase (public.traffic_deploy_check)");
const r = await call(`${base}/rest/v1/rpc/traffic_deploy_check`, {
  method: "POST",
  headers: serviceHeaders(),
  body: "{}",
});
if (r.status !== 200) {
  bad(
    `traffic_deploy_check answered ${r.status} ${JSON.stringify(r.body).slice(0, 120)}`,
    r.status === 404 ? "apply the migrations: npx supabase db push" : "check the service key",
  );
} else {
  const d = r.body as {
    cron_jobs: { name: string; active: boolean; last_status: string | null }[];
    vault: Record<string, boolean>;
    project_url: string | null;
    pg_net: { responses_24h: number; refused_since_last_ok: number } | null;
  };
  const expected = expectedJobs(fns);
  for (const name of expected) {
    const job = d.cron_jobs.find((j) => j.name === name);
    if (!job) {
      bad(
        `cron job ${name} is missing`,
        "apply the migrations: npx supabase db push",
      );
    } else if (!job.active) {
      bad(
        `cron job ${name} is inactive`,
        `select cron.alter_job((select jobid from cron.job where jobname = '${name}'), active => true);`,
      );
    } else {ok(
        `cron job ${name} exists and is active (last run: ${job.last_status ?? "none yet"})`,
      );}
  }
  if (!d.vault.project_url) {
    bad(
      "Vault secret project_url is missing",
      `select vault.create_secret('${base}', 'project_url');`,
    );
  } else if (d.project_url !== base) {
    bad(
      `Vault project_url is ${d.project_url}, not ${base}`,
      `select vault.update_secret((select id from vault.secrets where name = 'project_url'), '${base}');`,
    );
  } else ok("Vault secret project_url is this project's URL");
  if (d.vault.secret_key) {
    ok("Vault secret secret_key is present (sent as apikey)");
  } else if (d.vault.service_role_key) {
    ok("Vault secret service_role_key (legacy) is present");
    console.log(
      "      (before the legacy keys are deactivated, add a secret key: select vault.create_secret('<sb_secret_…>', 'secret_key');)",
    );
  } else {
    bad(
      "no Vault key for the cron jobs",
      "select vault.create_secret('<sb_secret_… key>', 'secret_key');",
    );
  }
  if (d.pg_net && d.pg_net.refused_since_last_ok > 0) {
    bad(
      `${d.pg_net.refused_since_last_ok} cron deliveries since the last success were refused (401/403)`,
      "the Vault key is not one of this project's: update secret_key with a current secret key",
    );
  } else if (d.pg_net) {
    ok(
      `cron deliveries in the last 24 h: ${d.pg_net.responses_24h}; none refused since the last success`,
    );
  }
}

console.log(
  missing.length === 0
    ? "\nAll in place."
    : `\n${missing.length} thing(s) missing or wrong (see → above).`,
);
Deno.exit(missing.length === 0 ? 0 : 1);
