/**
 * `npm run sync` (scripts/sync.ts) on the local stack: the real script, as a person runs it,
 * invokes fb-ads-sync per targetologist and aggregate-metrics through supabase-js with the service
 * key, prints the seed's progress lines, names a failed user and why in one line, exits non-zero
 * then, and records every run as `sync_type = 'full'`.
 */
import assert from "node:assert/strict";
import { dateWindow } from "../../supabase/functions/_shared/facebook/mod.ts";
import { grant, graphModel, makeAccount, serveGraphApi } from "../fakes/graph-api.ts";
import { startFakeNbk } from "../helpers/fake-nbk.ts";
import { expectedTable, graphUrl } from "../helpers/fb-ads-sync.ts";
import { createUser, db } from "../helpers/stack.ts";

const sql = db();
const opts = { sanitizeResources: false, sanitizeOps: false };
const tag = crypto.randomUUID().slice(0, 8);
const n = 100000 + Math.floor(Math.random() * 800000);
const model = graphModel();
const account = makeAccount({ id: `${n}7`, campaigns: 2, adsPerCampaign: 2 });
const GOOD = `tok-manual-${tag}`;
grant(model, GOOD, account);
const team = { ok: `manual ok ${tag}`, bad: `manual revoked ${tag}` };
const ids = { ok: "", bad: "" };

/** Runs the real script with the test stack's environment; returns exit code and output. */
async function runSync(...args: string[]): Promise<{ code: number; out: string }> {
  const cmd = new Deno.Command(Deno.execPath(), {
    // The AmoCRM reconciliation has its own test (amocrm-sync.test.ts); here no fake CRM runs.
    args: ["run", "-q", "-A", "scripts/sync.ts", ...args, "--skip-amocrm"],
    cwd: new URL("../../", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  });
  const { code, stdout, stderr } = await cmd.output();
  const dec = new TextDecoder();
  return { code, out: dec.decode(stdout) + dec.decode(stderr) };
}

async function lastFullRun() {
  const [row] = await sql`select success, users_processed, records_synced, error_message, details
    from public.traffic_sync_history where sync_type = 'full' order by id desc limit 1`;
  return row;
}

Deno.test({
  ...opts,
  name: "npm run sync: setup of two targetologists, one with a token Meta rejects",
  fn: async () => {
    ids.ok = (await createUser(sql)).id;
    ids.bad = (await createUser(sql)).id;
    await sql`insert into public.traffic_targetologist_settings
        (user_id, team_name, facebook_access_token, fb_ad_accounts)
      values (${ids.ok}, ${team.ok}, ${GOOD}, ${[account.id]}),
             (${ids.bad}, ${team.bad}, ${`tok-revoked-${tag}`}, ${[account.id]})`;
  },
});

Deno.test({
  ...opts,
  name: "npm run sync --user <team> prints per-user progress and records a successful 'full' run",
  fn: async () => {
    const fake = serveGraphApi(model, Number(graphUrl().port));
    try {
      const { code, out } = await runSync("--user", team.ok, "--days", "3", "--skip-aggregation");
      assert.equal(code, 0, out);
      const { since, until } = dateWindow({ days: 3, tz: "Asia/Almaty" });
      const rows = expectedTable(model, team.ok, [{ account }], since, until).size;
      assert.ok(rows > 0);
      assert.match(out, /MANUAL TRAFFIC SYNC/);
      assert.ok(out.includes(`[FB Sync] Period: ${since} to ${until}`), out);
      assert.ok(out.includes(`[FB Sync] Processing ${team.ok}...`), out);
      assert.ok(out.includes(`[FB Sync] ${team.ok} - Stored ${rows} insights`), out);
      assert.match(out, /SYNC COMPLETE/);
      const run = await lastFullRun();
      assert.equal(run.success, true);
      assert.equal(run.records_synced, rows);
      assert.equal(run.users_processed, 1);
      const [{ stored }] = await sql`select count(*)::int as stored
        from public.traffic_facebook_ads_raw where user_id = ${ids.ok}`;
      assert.equal(stored, rows);
      assert.ok(!out.includes(GOOD), "the token never appears in the output");
    } finally {
      await fake.server.shutdown();
    }
  },
});

Deno.test({
  ...opts,
  name: "npm run sync names the user whose token failed, exits 1, and records the failure",
  fn: async () => {
    const fake = serveGraphApi(model, Number(graphUrl().port));
    try {
      const { code, out } = await runSync("--user", team.bad, "--days", "3", "--skip-aggregation");
      assert.equal(code, 1, out);
      const failLine = out.split("\n").find((l) => l.includes("❌") && l.includes(team.bad));
      assert.ok(failLine, out);
      assert.match(out, new RegExp(`- ${team.bad}: Facebook sync token_invalid`));
      const run = await lastFullRun();
      assert.equal(run.success, false);
      assert.ok(String(run.error_message).includes(team.bad), run.error_message);
      assert.ok(!out.includes(`tok-revoked-${tag}`), "the token never appears in the output");
    } finally {
      await fake.server.shutdown();
    }
  },
});

Deno.test({
  ...opts,
  name: "npm run sync --skip-facebook aggregates and prints revenue and ROAS per period",
  fn: async () => {
    const feed = startFakeNbk(
      Deno.env.get("EXCHANGE_RATES_URL")!,
      new URL("../fixtures/nbk/", import.meta.url),
    );
    for (let d = -40; d <= 2; d++) {
      const [y, m, dd] = new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10)
        .split("-");
      feed.rates.set(`${dd}.${m}.${y}`, { USD: "480.5", EUR: "520.25", RUB: "5.9", GBP: "610" });
    }
    try {
      const { code, out } = await runSync("--user", team.ok, "--skip-facebook");
      assert.equal(code, 0, out);
      assert.ok(!out.includes("[FB Sync]"), "Facebook is skipped");
      for (const period of ["today", "7d", "30d"]) {
        assert.ok(
          out.includes(`[Aggregation] ✅ ${team.ok} (${period}) - Revenue: 0 ₸, ROAS: 0.00x`),
          out,
        );
      }
      assert.match(out, /\[Aggregation\] ✅ Complete: \d+ metrics updated/);
      assert.equal((await lastFullRun()).success, true);
    } finally {
      await feed.close();
    }
  },
});

Deno.test({
  ...opts,
  name: "npm run sync refuses bad arguments with exit 2 and the usage line",
  fn: async () => {
    for (const args of [["--days", "0"], ["--days", "x"], ["--user", `nobody ${tag}`]]) {
      const { code, out } = await runSync(...args);
      assert.equal(code, 2, `${args.join(" ")}: ${out}`);
    }
    const { out } = await runSync("--days", "0");
    assert.match(out, /usage: npm run sync/);
    await sql.end();
  },
});
