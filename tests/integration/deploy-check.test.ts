/**
 * `npm run deploy:check` against the local stack (a deployed project as far as the check can
 * tell): all in place → exit 0 with a ✓ per function, cron job and Vault secret; a missing Vault
 * secret, an inactive job or a wrong key → exit 1 naming what is missing and the command that
 * fixes it. `npm run invoke` prints a function's answer with either key kind. No key is printed.
 */
import assert from "node:assert/strict";
import { pauseCronJobs } from "../helpers/cron.ts";
import { db, stackEnv } from "../helpers/stack.ts";

const sql = db();
const env = stackEnv();
const opts = { sanitizeResources: false, sanitizeOps: false };
const ROOT = new URL("../../", import.meta.url);

async function run(script: string, args: string[], envOverride: Record<string, string> = {}) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "-A", script, ...args],
    cwd: ROOT,
    env: envOverride,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  const out = dec.decode(stdout) + dec.decode(stderr);
  for (const k of [env.SUPABASE_SECRET_KEY, env.SUPABASE_SERVICE_ROLE_KEY]) {
    assert.ok(!out.includes(k), "no key in the output");
  }
  return { code, out };
}
const check = (e: Record<string, string> = {}) => run("scripts/deploy.ts", ["--check"], e);

Deno.test({
  ...opts,
  name: "deploy:check: the local stack has everything in place (exit 0)",
  fn: async () => {
    const { code, out } = await check();
    assert.equal(code, 0, out);
    for (
      const fn of [
        "traffic-api answers /health",
        "fb-ads-sync answers",
        "aggregate-metrics answers",
        "amocrm-webhook answers",
      ]
    ) {
      assert.ok(out.includes(`✓ ${fn}`), `${fn}\n${out}`);
    }
    assert.match(out, /✓ cron job aggregate-metrics exists and is active/);
    assert.match(out, /✓ Vault secret project_url is this project's URL/);
    assert.match(out, /All in place\./);
    // With the legacy keys only, too.
    const legacy = await check({
      SUPABASE_SECRET_KEY: "",
      SUPABASE_PUBLISHABLE_KEY: "",
    });
    assert.equal(legacy.code, 0, legacy.out);
  },
});

Deno.test({
  ...opts,
  name: "deploy:check names a missing Vault key, an inactive job and a wrong service key (exit 1)",
  fn: async () => {
    const saved = await sql`select name, decrypted_secret from vault.decrypted_secrets
      where name in ('secret_key', 'service_role_key')`;
    const refusedId = 9_000_000_000 + Math.floor(Math.random() * 1_000_000);
    let resumeJob: () => Promise<void> = async () => {};
    try {
      await sql`delete from vault.secrets where name in ('secret_key', 'service_role_key')`;
      resumeJob = await pauseCronJobs(sql, ["fb-ads-sync"]);
      // A cron delivery refused after the last success (what a stale Vault key causes).
      await sql`insert into net._http_response (id, status_code, content, created)
        values (${refusedId}, 401, '{"error":{"code":"unauthorized"}}', now() + interval '1 second')`;
      const { code, out } = await check();
      assert.match(out, /✗ 1 cron deliveries since the last success were refused \(401\/403\)/);
      assert.equal(code, 1, out);
      assert.match(
        out,
        /✗ no Vault key for the cron jobs\n\s+→ select vault\.create_secret\('<sb_secret_… key>', 'secret_key'\);/,
      );
      assert.match(out, /✗ cron job fb-ads-sync is inactive/);
      const wrong = await check({ SUPABASE_SECRET_KEY: "sb_secret_not_this_projects" });
      assert.equal(wrong.code, 1, wrong.out);
      assert.match(wrong.out, /✗ fb-ads-sync refused the service key \(401\)/);
    } finally {
      await sql`delete from net._http_response where id = ${refusedId}`;
      await resumeJob();
      await sql`delete from vault.secrets where name in ('secret_key', 'service_role_key')`;
      for (const s of saved) {
        await sql`select vault.create_secret(${s.decrypted_secret}, ${s.name})`;
      }
    }
  },
});

Deno.test({
  ...opts,
  name: "npm run invoke prints a function's answer with either key kind, and exits 1 on a refusal",
  fn: async () => {
    const body = JSON.stringify({ deploy_check: true });
    const secret = await run("scripts/invoke.ts", ["aggregate-metrics", body]);
    assert.equal(secret.code, 1, secret.out); // 400: a body the function refuses, past the key check
    assert.match(secret.out, /^HTTP 400/m);
    assert.match(secret.out, /"invalid_body"/);
    const legacy = await run("scripts/invoke.ts", ["aggregate-metrics", body], {
      SUPABASE_SECRET_KEY: "",
    });
    assert.match(legacy.out, /^HTTP 400/m, legacy.out);
    const wrong = await run("scripts/invoke.ts", ["fb-ads-sync", "{}"], {
      SUPABASE_SECRET_KEY: "sb_secret_wrong",
    });
    assert.equal(wrong.code, 1);
    assert.match(wrong.out, /^HTTP 401/m);
    const health = await run("scripts/invoke.ts", ["traffic-api", "--path", "/health"]);
    assert.equal(health.code, 0, health.out);
    assert.match(health.out, /"database": "up"/);
    const admin = await run("scripts/invoke.ts", [
      "traffic-api",
      "--path",
      "/metrics?period=today",
      "--as-user",
      crypto.randomUUID(),
      "--admin",
    ]);
    assert.equal(admin.code, 0, admin.out);
    assert.match(admin.out, /"periods"/);
    const curl = await run("scripts/invoke.ts", ["fb-ads-sync", '{"days": 3}', "--curl"]);
    assert.match(curl.out, /curl -sS -X POST '.*\/functions\/v1\/fb-ads-sync'/);
    assert.match(curl.out, /-H "apikey: \$SUPABASE_SECRET_KEY"/);
    assert.ok(!curl.out.includes("Authorization"), "a secret key is not sent as bearer");
    await sql.end();
  },
});
