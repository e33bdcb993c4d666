/**
 * Alerts end to end through the real stack (issue 15): the traffic-alerts job's own command
 * evaluates the rules in SQL and wakes alerts-deliver over pg_net; the function delivers to a fake
 * destination (a loopback server standing in for the Telegram Bot API and for a JSON webhook).
 * Proves: one message per destination when an alert opens; a 5xx is retried with the same
 * idempotency key and then delivered; nothing is sent again after Postgres and the function are
 * restarted; a resolved message when the condition clears; a hostile answer echoing the bot token
 * and a connection error naming the URL are stored and logged redacted; the URL is never readable
 * or returned, and an admin cannot point a destination at plain http or the project.
 */
import assert from "node:assert/strict";
import { pauseCronJobs } from "../helpers/cron.ts";
import { crash, sleep, waitForRest } from "../helpers/faults.ts";
import { withEvaluatorHeld } from "../helpers/alerts.ts";
import { startFakeDestination } from "../helpers/fake-destination.ts";
import { createUser, db, invokeFunction, stackEnv } from "../helpers/stack.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };
const JOBS = ["traffic-alerts", "traffic-alerts-deliver"];

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>) {
  const t0 = Date.now();
  while (Date.now() - t0 < 30_000) {
    const v = await probe();
    if (v) return v;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function serviceHeaders(): Record<string, string> {
  const env = stackEnv();
  return { apikey: env.SUPABASE_SECRET_KEY, "content-type": "application/json" };
}

Deno.test({
  ...opts,
  name:
    "alerts: opened once per destination, 5xx retried, nothing re-sent after a restart, resolved, secret never shown",
  fn: async () => {
    let sql = db();
    const fake = startFakeDestination();
    const token = `${Math.floor(Math.random() * 1e9)}:AAH${
      crypto.randomUUID().replaceAll("-", "")
    }`;
    const team = `Alerts ${crypto.randomUUID().slice(0, 8)}`;
    const resumeJobs = await pauseCronJobs(sql, JOBS);
    const [{ allow_loopback_http: loopback }] = await sql`select allow_loopback_http
      from private.traffic_alert_settings`;
    await sql`update private.traffic_alert_settings set allow_loopback_http = true`;
    // Only this test's alert and destinations: other tests' teams and destinations stay out.
    const rules = await sql`select rule_key, enabled from public.traffic_alert_rules`;
    await sql`update public.traffic_alert_rules set enabled = (rule_key = 'fb_token')`;
    const destinations = await sql`select id, enabled from public.traffic_alert_destinations`;
    await sql`update public.traffic_alert_destinations set enabled = false`;
    try {
      const admin = await createUser(sql, { admin: true });
      const user = await createUser(sql);
      await sql`insert into public.traffic_targetologist_settings
        (user_id, team_name, facebook_access_token, fb_ad_accounts, facebook_token_status)
        values (${user.id}, ${team}, 'tok', '{act_alerts}', 'invalid')`;

      // An admin adds the destinations through the API; the URL is write-only.
      const telegramUrl = `${fake.url}/bot${token}/sendMessage`;
      const added = await admin.client.from("traffic_alert_destinations").insert([
        { name: `${team} chat`, kind: "telegram", url: telegramUrl, chat_id: "-100123" },
        { name: `${team} hook`, kind: "webhook", url: `${fake.url}/hook/${token}` },
      ]);
      assert.equal(added.error, null, JSON.stringify(added.error));
      const readUrl = await admin.client.from("traffic_alert_destinations").select("url");
      assert.equal(readUrl.error?.code, "42501", "the admin cannot read the url back");
      const listed = await admin.client.from("traffic_alert_destinations").select("*");
      assert.equal(listed.error?.code, "42501", "select * names the url, so it is refused too");
      const hosts = await admin.client.from("traffic_alert_destinations")
        .select("name, url_host").like("name", `${team}%`);
      assert.deepEqual(hosts.data?.map((d) => d.url_host), ["127.0.0.1", "127.0.0.1"]);
      for (const url of ["http://hooks.example.com/x", `${stackEnv().SUPABASE_URL}/rest/v1/`]) {
        const bad = await admin.client.from("traffic_alert_destinations")
          .insert({ name: "bad", kind: "webhook", url });
        assert.equal(bad.error?.code, "22023", `${url} refused`);
        assert.ok(!JSON.stringify(bad.error).includes(url), "the refusal does not echo the URL");
      }

      fake.script("/hook/", [{ status: 503, body: { error: "busy" } }, { status: 200 }], team);
      const [{ command }] =
        await sql`select command from cron.job where jobname = 'traffic-alerts'`;
      await sql.unsafe(command);
      const mine = (path: string) =>
        fake.deliveries.filter((d) =>
          d.path.startsWith(path) && JSON.stringify(d.body).includes(team)
        );
      await waitFor("the first attempts", async () => {
        const rows = await sql`select o.status, o.attempts from public.traffic_alert_outbox o
          join public.traffic_alerts a on a.id = o.alert_id where a.team_name = ${team}`;
        return rows.length === 2 && rows.every((r) => r.attempts === 1 && r.status !== "sending");
      });
      assert.equal(mine("/bot").length, 1, "Telegram got the alert once");
      const tg = mine("/bot")[0];
      assert.equal(tg.path, `/bot${token}/sendMessage`);
      assert.equal(tg.body.chat_id, "-100123");
      assert.match(
        String(tg.body.text),
        new RegExp(
          `^\\[CRITICAL\\] .*\\nTeam ${team}: the Facebook token was rejected by Meta.*Fix: `,
          "s",
        ),
      );
      assert.equal(mine("/hook/").length, 1, "the webhook was tried once (503)");
      const [pending] =
        await sql`select o.status, o.last_status_code, o.next_attempt_at > now() as later
        from public.traffic_alert_outbox o join public.traffic_alerts a on a.id = o.alert_id
        where a.team_name = ${team} and o.status <> 'delivered'`;
      assert.deepEqual({ ...pending }, { status: "pending", last_status_code: 503, later: true });

      // The back-off passes; the deliver job's own command sends it again, with the same key.
      await sql`update public.traffic_alert_outbox o set next_attempt_at = now()
        from public.traffic_alerts a where a.id = o.alert_id and a.team_name = ${team}
          and o.status = 'pending'`;
      const [{ command: deliverCommand }] = await sql`select command from cron.job
        where jobname = 'traffic-alerts-deliver'`;
      await sql.unsafe(deliverCommand);
      await waitFor("the retry", () => Promise.resolve(mine("/hook/").length === 2));
      await waitFor("delivered", async () => {
        const rows = await sql`select o.status from public.traffic_alert_outbox o
          join public.traffic_alerts a on a.id = o.alert_id where a.team_name = ${team}`;
        return rows.every((r) => r.status === "delivered");
      });
      const [first, second] = mine("/hook/");
      assert.equal(first.headers["idempotency-key"], second.headers["idempotency-key"]);
      assert.equal(first.body.idempotency_key, first.headers["idempotency-key"]);
      assert.equal((second.body.alert as Record<string, unknown>).team_name, team);
      assert.equal((second.body.alert as Record<string, unknown>).rule, "fb_token");

      // Postgres crashes and comes back; the jobs run again; the function is invoked by hand:
      // nothing is re-sent (the alert is open and notified, its messages delivered).
      await sql.end();
      await crash("postgres", 500);
      await waitForRest();
      sql = db();
      await sql.unsafe(command);
      await sql.unsafe(deliverCommand);
      const again = await invokeFunction("alerts-deliver", {
        method: "POST",
        headers: serviceHeaders(),
        body: "{}",
      });
      const againBody = await again.json();
      assert.equal(again.status, 200);
      await sleep(1_000);
      assert.equal(mine("/bot").length, 1, "no repeat to Telegram after the restart");
      assert.equal(mine("/hook/").length, 2, "no repeat to the webhook after the restart");
      const [alert] = await sql`select notify_count, resolved_at from public.traffic_alerts
        where team_name = ${team}`;
      assert.deepEqual({ ...alert }, { notify_count: 1, resolved_at: null });

      // The token works again: resolved, announced once to each destination.
      await sql`update public.traffic_targetologist_settings set facebook_token_status = 'ok'
        where user_id = ${user.id}`;
      await sql.unsafe(command);
      await waitFor(
        "the resolved messages",
        () => Promise.resolve(mine("/bot").length === 2 && mine("/hook/").length === 3),
      );
      assert.match(String(mine("/bot")[1].body.text), /^\[RESOLVED\] /);
      assert.equal((mine("/hook/")[2].body as Record<string, unknown>).kind, "resolved");

      // A targetologist sees their alert, resolved; the answers never carry the URL.
      const own = await user.client.from("traffic_alerts").select("team_name, resolved_at");
      assert.equal(own.data?.length, 1);
      assert.ok(own.data?.[0].resolved_at);

      // Hostile or broken destinations: an answer echoing the token, a closed port.
      fake.script("/echo/", [{
        status: 400,
        body: { description: `bad token ${token} bot${token}` },
      }]);
      await sql`update public.traffic_alert_destinations set enabled = false where name like ${
        team + "%"
      }`;
      const closed = startFakeDestination();
      const closedUrl = `${closed.url}/closed/${token}`;
      await closed.close();
      await admin.client.from("traffic_alert_destinations").insert([
        { name: `${team} echo`, kind: "webhook", url: `${fake.url}/echo/${token}` },
        { name: `${team} closed`, kind: "webhook", url: closedUrl },
      ]);
      await sql`update public.traffic_targetologist_settings set facebook_token_status = 'invalid'
        where user_id = ${user.id}`;
      await sql.unsafe(command);
      const settled = await waitFor("the hostile deliveries", async () => {
        const rows =
          await sql`select d.name, o.status, o.last_error from public.traffic_alert_outbox o
          join public.traffic_alert_destinations d on d.id = o.destination_id
          where d.name in (${team + " echo"}, ${team + " closed"}) and o.attempts > 0
            and o.status <> 'sending'`;
        return rows.length === 2 ? rows : null;
      });
      const byName = Object.fromEntries(settled.map((r) => [r.name, r]));
      assert.equal(byName[`${team} echo`].status, "failed", "a 400 is final");
      assert.match(byName[`${team} echo`].last_error, /^HTTP 400: bad token \[redacted\]/);
      assert.equal(byName[`${team} closed`].status, "pending", "a connection error is retried");

      // The token appears nowhere: stored errors, the function's log, the answers.
      const stored = await sql`select coalesce(string_agg(coalesce(last_error, '') || text
        || payload::text, ' '), '') as all from public.traffic_alert_outbox`;
      const logDir = `${
        Deno.env.get("STACK_DIR") ?? new URL("../../.stack", import.meta.url).pathname
      }/logs`;
      const logs = [...Deno.readDirSync(logDir)].map((e) =>
        Deno.readTextFileSync(`${logDir}/${e.name}`)
      ).join("\n");
      const secretForms = [
        token,
        encodeURIComponent(token),
        token.split(":")[1],
        btoa(token),
        btoa(telegramUrl),
      ];
      for (
        const [where, text] of [
          ["the outbox", stored[0].all],
          ["the stack's logs", logs],
          ["the function's answer", JSON.stringify(againBody)],
        ]
      ) {
        for (const s of secretForms) assert.ok(!text.includes(s), `the token is not in ${where}`);
      }
      assert.match(logs, /alert delivery failed for good/, "the log names the failure");
    } finally {
      for (const r of rules) {
        await sql`update public.traffic_alert_rules set enabled = ${r.enabled}
          where rule_key = ${r.rule_key}`;
      }
      await sql`update private.traffic_alert_settings set allow_loopback_http = ${loopback}`;
      await resumeJobs(sql); // this test reconnected after the restart
      await sql`delete from public.traffic_alert_destinations where name like ${team + "%"}`;
      for (const d of destinations) {
        await sql`update public.traffic_alert_destinations set enabled = ${d.enabled}
          where id = ${d.id}`;
      }
      await sql.end();
      await fake.close();
    }
  },
});

Deno.test({
  ...opts,
  name:
    "GET /traffic-api/alerts: a targetologist reads their team's open alerts, an admin every team's; never a URL",
  fn: async () => {
    const sql = db();
    const env = stackEnv();
    try {
      await withEvaluatorHeld(() => alertsApiChecks(sql, env));
    } finally {
      await sql.end();
    }
  },
});

async function alertsApiChecks(sql: ReturnType<typeof db>, env: ReturnType<typeof stackEnv>) {
  const admin = await createUser(sql, { admin: true });
  const a = await createUser(sql);
  const b = await createUser(sql);
  const tag = crypto.randomUUID().slice(0, 8);
  await sql`insert into public.traffic_alerts
    (rule_key, subject_key, user_id, team_name, severity, figure, message, resolved_at, resolution)
    values ('spend_no_leads', ${"campaign:" + a.id + ":" + tag}, ${a.id}, 'A', 'warning',
              123.45, ${"A " + tag}, null, null),
           ('fb_token', ${"user:" + a.id + ":" + tag}, ${a.id}, 'A', 'critical', 2, ${"A " + tag},
              now(), 'cleared'),
           ('fb_token', ${"user:" + b.id + ":" + tag}, ${b.id}, 'B', 'critical', null, ${
    "B " + tag
  },
              null, null),
           ('webhook_events', ${"events:" + tag}, null, null, 'warning', 3, ${"all " + tag},
              null, null)`;
  const get = async (jwt: string | null, query = "") => {
    const res = await invokeFunction("traffic-api", {
      path: `/alerts${query}`,
      headers: {
        apikey: env.SUPABASE_ANON_KEY,
        ...(jwt ? { authorization: `Bearer ${jwt}` } : {}),
      },
    });
    return { status: res.status, body: await res.json() };
  };
  const mine = (body: { data: { message: string }[] }) =>
    body.data.filter((r) => r.message.endsWith(tag)).map((r) => r.message);

  const own = await get(a.jwt);
  assert.equal(own.status, 200);
  assert.equal(own.body.status, "open");
  assert.deepEqual(mine(own.body), [`A ${tag}`], "A: only their open alert");
  const row = own.body.data.find((r: { message: string }) => r.message === `A ${tag}`);
  assert.equal(row.figure, "123.45", "the figure is an exact decimal string");
  assert.equal(row.rule_key, "spend_no_leads");
  const history = await get(a.jwt, "?status=all");
  assert.equal(mine(history.body).length, 2, "A: open and resolved with status=all");
  assert.deepEqual(mine((await get(b.jwt)).body), [`B ${tag}`], "B: only theirs");
  const all = await get(admin.jwt);
  assert.deepEqual(
    mine(all.body).sort(),
    [`A ${tag}`, `B ${tag}`, `all ${tag}`],
    "admin: every team's and the project-wide ones",
  );
  assert.equal(mine((await get(admin.jwt, `?user_id=${b.id}`)).body).length, 1);
  assert.equal((await get(a.jwt, `?user_id=${b.id}`)).status, 403);
  assert.equal((await get(a.jwt, "?status=closed")).status, 400);
  assert.equal((await get(a.jwt, "?limit=0")).status, 400);
  assert.equal((await get(null)).status, 401);

  // npm run status lists the open alerts (newest first within a severity).
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "-A", "scripts/status.ts"],
    cwd: new URL("../../", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout);
  assert.match(out, /\nOpen alerts \(\d+; last evaluated /);
  assert.match(out, new RegExp(`fb_token +B +— .*B ${tag}`));
  const rows = all.body.data.filter((r: { message: string }) => r.message.endsWith(tag));
  assert.ok(!JSON.stringify(rows).includes("http"), "no URL in the answer");
  assert.deepEqual(Object.keys(rows[0]).sort(), [
    "details",
    "figure",
    "id",
    "last_notified_at",
    "last_seen_at",
    "message",
    "notify_count",
    "opened_at",
    "resolution",
    "resolved_at",
    "rule_key",
    "severity",
    "subject_key",
    "team_name",
    "user_id",
  ]);
}
