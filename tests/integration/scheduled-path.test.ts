/**
 * The scheduled path end to end on the local stack: pg_cron fires the `aggregate-metrics` and
 * `fb-ads-sync` jobs, pg_net (the stack's net-worker) delivers them to the gateway with the URL and
 * service-role key read from Vault, the functions run, and rows and history appear. Then the
 * gateway is stopped while the aggregate-metrics job's stored command runs: the failed delivery is
 * recorded (and `npm run status` lists it), and the next run after the gateway is back recovers.
 *
 * Serves its own fakes: the Graph API at FACEBOOK_GRAPH_URL and the National Bank feed at
 * EXCHANGE_RATES_URL (scripts/test.sh points the stack's functions at both). Every cron job is
 * left as it was found (schedule and active flag), and the gateway is always restarted.
 */
import assert from "node:assert/strict";
import { dateWindow } from "../../supabase/functions/_shared/facebook/mod.ts";
import { grant, graphModel, makeAccount, serveGraphApi } from "../fakes/graph-api.ts";
import { expectedTable, graphUrl } from "../helpers/fb-ads-sync.ts";
import { startFakeNbk } from "../helpers/fake-nbk.ts";
import { createUser, db, stackEnv } from "../helpers/stack.ts";

const feedUrl = Deno.env.get("EXCHANGE_RATES_URL") ?? "";
const graphEnv = Deno.env.get("FACEBOOK_GRAPH_URL") ?? "";
const loopback = /^http:\/\/127\.0\.0\.1:\d+/;
// Needs the stack started by scripts/test.sh (the functions must call the fakes this file serves).
const enabled = loopback.test(feedUrl) && loopback.test(graphEnv) && !!Deno.env.get("STACK_DIR");
const sql = enabled ? db() : null!;
const JOBS = ["aggregate-metrics", "fb-ads-sync"] as const;
const ROOT = new URL("../../", import.meta.url).pathname;

function test(name: string, fn: () => Promise<void>) {
  Deno.test({
    name: `scheduled path: ${name}`,
    ignore: !enabled,
    sanitizeOps: false,
    sanitizeResources: false,
    fn,
  });
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** Polls `probe` until it returns a truthy value; fails naming `what` after `seconds`. */
async function waitFor<T>(
  what: string,
  seconds: number,
  probe: () => Promise<T | null | undefined | false>,
  state?: () => string,
): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const got = await probe();
    if (got) return got;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${seconds} s waiting for ${what}${state ? `; last seen: ${state()}` : ""}`,
      );
    }
    await sleep(250);
  }
}

interface Job {
  jobid: number;
  jobname: string;
  schedule: string;
  active: boolean;
  command: string;
}

async function jobs(): Promise<Record<string, Job>> {
  const rows = await sql<Job[]>`select jobid::int, jobname, schedule, active, command
    from cron.job where jobname in ${sql([...JOBS])}`;
  const out = Object.fromEntries(rows.map((r) => [r.jobname, r]));
  for (const name of JOBS) assert.ok(out[name], `cron job ${name} exists`);
  return out;
}

/** Puts each job back to the schedule and active flag it had, and checks it did. */
async function restore(original: Record<string, Job>) {
  for (const j of Object.values(original)) {
    await sql`select cron.alter_job(${j.jobid}::bigint, schedule => ${j.schedule},
      active => ${j.active})`;
  }
  const now = await jobs();
  for (const j of Object.values(original)) {
    assert.equal(now[j.jobname].schedule, j.schedule, `${j.jobname}'s schedule restored`);
    assert.equal(now[j.jobname].active, j.active, `${j.jobname}'s active flag restored`);
  }
}

interface HttpResponse {
  id: string;
  status_code: number | null;
  error_msg: string | null;
  content: string | null;
  created: Date;
}

const parse = (content: string | null): Record<string, unknown> | null => {
  try {
    return JSON.parse(content ?? "");
  } catch {
    return null;
  }
};

/** `part.sh gateway stop|start` on the test runner's stack (STACK_DIR / STACK_PORT inherited). */
async function gateway(action: "stop" | "start") {
  const out = await new Command("bash", {
    args: [`${ROOT}scripts/stack/part.sh`, "gateway", action],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `part.sh gateway ${action} failed: ${text}`);
}
const Command = Deno.Command;

async function gatewayUp(): Promise<boolean> {
  try {
    const res = await fetch(`${stackEnv().SUPABASE_URL}/_stack/health`, {
      signal: AbortSignal.timeout(2000),
    });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Fixtures: two targetologists with tokens and ad accounts the fake Graph API knows.

const tag = crypto.randomUUID().slice(0, 8);
const n = 100000 + Math.floor(Math.random() * 800000); // account ids no other run uses
const model = graphModel();
const accounts = {
  a1: makeAccount({ id: `${n}1`, campaigns: 2, adsPerCampaign: 2 }),
  a2: makeAccount({ id: `${n}2`, currency: "KZT" }),
  b1: makeAccount({ id: `${n}3`, campaigns: 1, adsPerCampaign: 3, currency: "EUR" }),
};
const TOKENS = { a: `tok-sched-A-${tag}`, b: `tok-sched-B-${tag}` };
grant(model, TOKENS.a, accounts.a1, accounts.a2);
grant(model, TOKENS.b, accounts.b1);
const team = (k: "a" | "b") => `sched ${k} ${tag}`;
const users: Record<"a" | "b", string> = { a: "", b: "" };
let fake: ReturnType<typeof serveGraphApi> | null = null;
let feed: ReturnType<typeof startFakeNbk> | null = null;

/** `DD.MM.YYYY` of every day from 40 days ago to tomorrow (UTC dates cover Almaty's too). */
function recentFeedDays(): string[] {
  const out: string[] = [];
  for (let d = -40; d <= 2; d++) {
    const day = new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10);
    const [y, m, dd] = day.split("-");
    out.push(`${dd}.${m}.${y}`);
  }
  return out;
}

test("setup: fakes served, two targetologists with tokens and ad accounts", async () => {
  fake = serveGraphApi(model, Number(graphUrl().port));
  feed = startFakeNbk(feedUrl, new URL("../fixtures/nbk/", import.meta.url));
  // Any day the aggregation asks for has rates for every currency the stack's data may use.
  for (const day of recentFeedDays()) {
    feed.rates.set(day, { USD: "480.5", EUR: "520.25", RUB: "5.9", GBP: "610", CNY: "66.4" });
  }
  for (const k of ["a", "b"] as const) {
    users[k] = (await createUser(sql)).id;
    const acc = k === "a" ? [`act_${accounts.a1.id}`, accounts.a2.id] : [accounts.b1.id];
    await sql`insert into public.traffic_targetologist_settings
        (user_id, team_name, facebook_access_token, fb_ad_accounts)
      values (${users[k]}, ${team(k)}, ${TOKENS[k]}, ${acc})`;
  }
});

test("pg_cron fires both jobs; pg_net delivers them with the Vault key; rows and history appear", async () => {
  const original = await jobs();
  const env = stackEnv();
  // The key the jobs send comes from Vault at call time: it is in no job's command.
  const [vault] = await sql`select decrypted_secret as key from vault.decrypted_secrets
                            where name = 'service_role_key'`;
  assert.equal(vault?.key, env.SUPABASE_SERVICE_ROLE_KEY, "Vault holds the stack's service key");
  for (const j of Object.values(original)) {
    assert.ok(!j.command.includes(env.SUPABASE_SERVICE_ROLE_KEY), `${j.jobname}: no key inline`);
    assert.match(j.command, /private\.invoke_function\(/);
  }
  const targets = (await sql`select user_id from public.traffic_targetologist_settings
      where is_active and cardinality(fb_ad_accounts) > 0`).map((r) => String(r.user_id)).sort();
  assert.ok(targets.includes(users.a) && targets.includes(users.b));
  const [{ t0 }] = await sql`select clock_timestamp() as t0`;
  const historyBefore = Number(
    (await sql`select coalesce(max(id), 0)::bigint as id from public.traffic_sync_history`)[0].id,
  );

  // 1. Both jobs every minute (and active), until each has a succeeded run. Each job is paused as
  // soon as its run is seen (a job firing again in the next minute, or at its own schedule's
  // minute, would fan out a second time) and restored once everything below is checked.
  const runs: Record<string, { start_time: Date; end_time: Date }> = {};
  try {
    for (const name of JOBS) {
      await sql`select cron.alter_job(${original[name].jobid}::bigint,
        schedule => '* * * * *', active => true)`;
    }
    await waitFor(
      "a succeeded cron.job_run_details row for both jobs (they fire at the next minute)",
      75,
      async () => {
        for (const name of JOBS) {
          if (runs[name]) continue;
          const [r] = await sql`select status, start_time, end_time, return_message
            from cron.job_run_details
            where jobid = ${original[name].jobid} and start_time >= ${t0}
            order by start_time limit 1`;
          if (!r || !["succeeded", "failed"].includes(r.status)) continue;
          assert.equal(r.status, "succeeded", `${name}'s run: ${r.return_message}`);
          runs[name] = { start_time: r.start_time, end_time: r.end_time };
          await sql`select cron.alter_job(${original[name].jobid}::bigint, active => false)`;
        }
        return runs[JOBS[0]] && runs[JOBS[1]];
      },
      () => JSON.stringify(Object.keys(runs)),
    );
    await deliveredAndStored(t0, targets, historyBefore, runs);
  } finally {
    await restore(original);
  }
});

/** Part 2 of the scheduled-path test: what pg_net delivered, the history and the rows. */
async function deliveredAndStored(
  t0: Date,
  targets: string[],
  historyBefore: number,
  runs: Record<string, { start_time: Date; end_time: Date }>,
) {
  // 2. pg_net delivered each: a 2xx response created after the run started, correlated to the
  // function's history row by the id in the response body.
  const responses = async () =>
    await sql<HttpResponse[]>`select id::text, status_code, error_msg, content, created
      from net._http_response where created >= ${t0} order by id`;
  let seen: HttpResponse[] = [];
  const of = (pred: (b: Record<string, unknown>) => boolean) =>
    seen.filter((r) => {
      const b = parse(r.content);
      return b !== null && pred(b);
    });
  const aggResponse = () => of((b) => typeof b.history_id === "number" && "rows_written" in b)[0];
  const fanOut = () => of((b) => b.mode === "fan_out" && b.triggered_by === "cron")[0];
  const perUser = () =>
    of((b) => b.mode === "sync" && b.triggered_by === "cron" && Array.isArray(b.users));
  const userOf = (r: HttpResponse) =>
    String((parse(r.content)!.users as { user_id: string }[])[0]?.user_id);
  await waitFor(
    "pg_net responses: aggregate-metrics, the fan-out and one per targetologist",
    45,
    async () => {
      seen = await responses();
      return aggResponse() && fanOut() &&
        new Set(perUser().map(userOf)).size >= targets.length;
    },
    () =>
      seen.map((r) => `${r.id}:${r.status_code ?? r.error_msg}:${r.content?.slice(0, 60)}`)
        .join(" | "),
  );

  // aggregate-metrics: 200, and its history row says cron triggered it.
  const agg = aggResponse()!;
  assert.equal(agg.status_code, 200, agg.content ?? "");
  assert.equal(agg.error_msg, null);
  assert.ok(agg.created >= runs["aggregate-metrics"].start_time, "delivered after the job ran");
  const aggBody = parse(agg.content)!;
  const [h] = await sql`select sync_type, triggered_by, success, started_at
    from public.traffic_sync_history where id = ${aggBody.history_id as number}`;
  assert.ok(h, "the response names a history row");
  assert.ok(Number(aggBody.history_id) > historyBefore, "a new history row");
  assert.deepEqual(
    { sync_type: h.sync_type, triggered_by: h.triggered_by, success: h.success },
    { sync_type: "aggregation", triggered_by: "cron", success: true },
  );

  // fb-ads-sync: the cron call fans out (202), one per-user call per target, each answered 200.
  const fan = fanOut()!;
  assert.equal(fan.status_code, 202, fan.content ?? "");
  assert.ok(fan.created >= runs["fb-ads-sync"].start_time, "delivered after the job ran");
  assert.equal(parse(fan.content)!.queued, targets.length, "one invocation per targetologist");
  const per = perUser();
  assert.deepEqual(per.map(userOf).sort(), targets, "exactly one per-user call each");
  for (const r of per) assert.equal(r.status_code, 200, r.content ?? "");
  for (const k of ["a", "b"] as const) {
    const r = per.find((p) => userOf(p) === users[k])!;
    assert.equal(parse(r.content)!.success, true, `${k}'s run succeeded: ${r.content}`);
  }
  const fanHistory = await sql`select user_id, success from public.traffic_sync_history
    where id > ${historyBefore} and sync_type = 'facebook_ads' and triggered_by = 'cron'`;
  assert.equal(fanHistory.filter((r) => r.user_id === null).length, 1, "one fan-out row");
  for (const k of ["a", "b"] as const) {
    assert.ok(
      fanHistory.some((r) => r.user_id === users[k] && r.success === true),
      `a successful per-user history row for ${k}`,
    );
  }

  // The rows are Meta's (the fake's model) for the default window: today and 2 days before.
  const { since, until } = dateWindow({ days: 3, tz: "Asia/Almaty" });
  const want = {
    a: expectedTable(
      model,
      team("a"),
      [{ account: accounts.a1 }, { account: accounts.a2 }],
      since,
      until,
    ),
    b: expectedTable(model, team("b"), [{ account: accounts.b1 }], since, until),
  };
  for (const k of ["a", "b"] as const) {
    const rows = await sql`select ad_id, stat_date::text as day, spend::text as spend
      from public.traffic_facebook_ads_raw where user_id = ${users[k]}`;
    assert.equal(rows.length, want[k].size, `${k}: one row per ad and day`);
    for (const r of rows) {
      assert.equal(r.spend, want[k].get(`${r.ad_id}|${r.day}`)?.spend, `${k}: ${r.ad_id} ${r.day}`);
    }
  }
  assert.ok(
    fake!.calls.some((c) => c.token === TOKENS.a),
    "the function called the fake Graph API",
  );
}

test("gateway down: the job's delivery fails and is recorded, no history; the next run recovers", async () => {
  const original = await jobs();
  const { command, jobid } = original["aggregate-metrics"];
  const runCommand = async (): Promise<string> => {
    const rows = await sql.unsafe(command);
    const id = Object.values(rows[0] ?? {})[0];
    assert.ok(id !== undefined && id !== null, `the stored command returns a request id`);
    return String(id);
  };
  const responseOf = (id: string, seconds: number) =>
    waitFor(`net._http_response for request ${id}`, seconds, async () => {
      const [r] = await sql<HttpResponse[]>`select id::text, status_code, error_msg, content,
        created from net._http_response where id = ${id}`;
      return r;
    });
  const aggregationRows = async (since: Date) =>
    await sql`select id, success, triggered_by from public.traffic_sync_history
      where sync_type = 'aggregation' and started_at >= ${since} order by id`;
  let stopped = false;
  try {
    // No scheduled aggregate-metrics run may interleave (a concurrent run would hold the lock).
    await sql`select cron.alter_job(${jobid}::bigint, active => false)`;
    await gateway("stop");
    stopped = true;
    assert.equal(await gatewayUp(), false, "the gateway is down");

    const [{ t0 }] = await sql`select clock_timestamp() as t0`;
    const failedId = await runCommand();
    const failed = await responseOf(failedId, 20);
    assert.equal(failed.status_code, null, "no HTTP status: nothing answered");
    assert.match(failed.error_msg ?? "", /connect/i);
    await sleep(500);
    assert.equal((await aggregationRows(t0)).length, 0, "the function never ran: no history row");

    // `npm run status` lists the failed delivery.
    const child = new Command(Deno.execPath(), {
      args: ["run", "-q", "-A", "scripts/status.ts"],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, 30_000);
    const status = await child.output().finally(() => clearTimeout(timer));
    assert.ok(!killed, "npm run status did not finish within 30 s");
    const out = new TextDecoder().decode(status.stdout);
    assert.equal(status.code, 0, new TextDecoder().decode(status.stderr));
    const failures = out.split("latest failed deliveries")[1] ?? "";
    assert.ok(
      failures.split("\n").some((l) => l.trim().startsWith(`${failedId} `) && /connect/i.test(l)),
      `status lists request ${failedId} as failed:\n${out}`,
    );
    assert.match(out, /pg_net deliveries failed in the last 24 h/);

    // The gateway back: the same command delivers, the function runs and records a success.
    await gateway("start");
    stopped = false;
    const [{ t1 }] = await sql`select clock_timestamp() as t1`;
    const okId = await runCommand();
    assert.ok(BigInt(okId) > BigInt(failedId));
    const ok = await responseOf(okId, 45);
    assert.ok(ok.status_code! >= 200 && ok.status_code! < 300, `2xx: ${ok.content}`);
    assert.equal(ok.error_msg, null);
    const rows = await aggregationRows(t1);
    assert.equal(rows.length, 1, "one history row for the recovered run");
    assert.equal(rows[0].id, String(parse(ok.content)!.history_id));
    assert.equal(rows[0].success, true);
    assert.equal(rows[0].triggered_by, "cron");
  } finally {
    if (stopped || !(await gatewayUp())) await gateway("start");
    await restore(original);
  }
  assert.ok(await gatewayUp(), "the gateway is up again");
});

test("clean up: fakes closed, users removed, connection closed", async () => {
  await fake?.server.shutdown();
  await feed?.close();
  await sql`delete from auth.users where id in ${sql(Object.values(users).filter(Boolean))}`;
  await sql.end();
});
