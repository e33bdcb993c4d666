/**
 * The fault suite: under a webhook load, PostgREST and then Postgres are killed (SIGKILL) for a
 * few seconds and restarted with the stack's own scripts. Every body answered 2xx must be stored
 * and, after recovery, processed exactly once by the scheduled drain job amocrm-drain (its command
 * run directly rather than waiting for the cron minute; failed ones by amocrm-replay); every other
 * answer must be a 503 (AmoCRM retries those, and the retries are stored too); `npm run status`
 * shows no failed or stale webhook afterwards.
 */
import assert from "node:assert/strict";
import { sha256Hex } from "../../supabase/functions/_shared/hash.ts";
import { leadBody, uniqueId, WEBHOOK_SECRET } from "../helpers/amocrm.ts";
import { type Answer, crash, load, pool, sleep, waitForRest } from "../helpers/faults.ts";
import { pauseCronJobs } from "../helpers/cron.ts";
import { db, stackEnv } from "../helpers/stack.ts";

const sql = db();

function send(body: string): Promise<Response> {
  const url = new URL(`${stackEnv().SUPABASE_URL}/functions/v1/amocrm-webhook`);
  url.searchParams.set("secret", WEBHOOK_SECRET);
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body,
    signal: AbortSignal.timeout(15_000),
  });
}

const count = (answers: Answer[], f: (a: Answer) => boolean) => answers.filter(f).length;

Deno.test({
  name:
    "fault: webhooks under load while PostgREST, then Postgres, are killed — nothing answered 2xx is lost",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const started = performance.now();
    let stop = false;
    const next = () => leadBody("status", { id: uniqueId(), status: 142, price: "1000", at: 1 });
    const running = load(send, next, { concurrency: 6, stop: () => stop, backoffMs: 250 });

    await sleep(1_500);
    const rest = await crash("postgrest", 2_500);
    await sleep(1_500);
    const pg = await crash("postgres", 2_500);
    const recoveredMs = await waitForRest();
    await sleep(1_500);
    stop = true;
    const answers = await running;

    const ok = answers.filter((a) => a.status >= 200 && a.status < 300);
    const other = answers.filter((a) => !(a.status >= 200 && a.status < 300));
    const figures = {
      sent: answers.length,
      answered_2xx: ok.length,
      answered_503: count(other, (a) => a.status === 503),
      other: other.filter((a) => a.status !== 503).map((a) => `${a.status} ${a.error ?? ""}`),
      postgrest_down_ms: rest.downMs,
      postgres_down_ms: pg.downMs,
      rest_back_after_ms: recoveredMs,
    };
    console.log(`fault figures: ${JSON.stringify(figures)}`);
    assert.ok(ok.length > 20, `the load ran (${ok.length} answered 2xx)`);
    assert.ok(figures.answered_503 > 0, "the faults were felt (some 503s)");
    assert.deepEqual(figures.other, [], "every answer that is not 2xx is a 503");

    // Every 2xx body is stored — durably: Postgres was killed, not shut down.
    const okShas = await Promise.all(ok.map((a) => sha256Hex(a.body)));
    const stored = await sql`select body_sha256, id, status from public.traffic_amocrm_events
      where body_sha256 in ${sql(okShas)}`;
    const missing = okShas.filter((s) => !stored.some((r) => r.body_sha256 === s));
    assert.deepEqual(missing, [], `${missing.length} bodies answered 2xx were not stored`);

    // AmoCRM retries what got a 503: those deliveries are stored now.
    const retried = await pool(other, 6, async (a) => {
      const res = await send(a.body);
      await res.body?.cancel();
      return res.status;
    });
    assert.deepEqual(retried.filter((s) => s !== 200), [], "retries after recovery are stored");

    // What the kills left pending (stored, never processed: its drain died with Postgres, or its
    // answer came while another request was draining) is taken by the pg_cron job amocrm-drain.
    // Its minute is not awaited: the job's own command is run, as pg_cron would run it.
    const allShas = await Promise.all(answers.map((a) => sha256Hex(a.body)));
    const statesNow = async () =>
      (await sql`select status, count(*)::int as n from public.traffic_amocrm_events
        where body_sha256 in ${sql(allShas)} group by status order by status`)
        .map((r) => [r.status, r.n]);
    const leftByKills = await statesNow();
    const [{ drain }] = await sql`select command as drain from cron.job
      where jobname = 'amocrm-drain' and active and schedule = '* * * * *'`;
    for (let i = 0; i < 20; i++) {
      const [row] = await sql.unsafe(drain);
      if (!(Object.values(row)[0] as { more: boolean }).more) break;
    }
    const afterDrain = await statesNow();
    // A body whose processing failed (recorded 'failed', e.g. a lock wait past its limit while
    // Postgres came back) is the replay job's: its back-off is not awaited either.
    const [{ failedBefore }] = await sql`select count(*)::int as "failedBefore"
      from public.traffic_amocrm_events
      where body_sha256 in ${sql(allShas)} and status = 'failed'`;
    await sql`update public.traffic_amocrm_events
      set processed_at = processed_at - interval '2 hours'
      where body_sha256 in ${sql(allShas)} and status = 'failed'`;
    const [{ command }] = await sql`select command from cron.job where jobname = 'amocrm-replay'
      and active and schedule = '* * * * *'`;
    for (let i = 0; i < 10; i++) {
      const [row] = await sql.unsafe(command);
      if ((Object.values(row)[0] as { selected: number }).selected === 0) break;
    }
    const states = await statesNow();
    console.log(
      `fault outcome: left by the kills ${JSON.stringify(leftByKills)}, after the drain job ${
        JSON.stringify(afterDrain)
      }, after the replay job ${JSON.stringify(states)}`,
    );
    assert.deepEqual(states, [["processed", answers.length]], "every body is stored and processed");
    // Processed once: a drain that died left no trace (its attempt rolled back with it), so each
    // body counts one attempt (two only after a recorded failure), and each lead's one event is
    // in the lead-event log once.
    const [once] = await sql`select
        count(*) filter (where e.attempts > 1)::int as retried,
        count(*) filter (where e.attempts < 1)::int as unattempted,
        (select count(*)::int from private.amocrm_lead_events le
          where le.event_id in (select id from public.traffic_amocrm_events
            where body_sha256 in ${sql(allShas)})) as log_rows
      from public.traffic_amocrm_events e where e.body_sha256 in ${sql(allShas)}`;
    assert.equal(once.unattempted, 0);
    assert.ok(once.retried <= failedBefore, `${once.retried} retried, ${failedBefore} had failed`);
    assert.equal(once.log_rows, answers.length, "one lead event per body in the log");

    // status tells the truth: no failed or stale pending webhook left.
    const { stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-q", "-A", "scripts/status.ts"],
      cwd: new URL("../../", import.meta.url),
      stdout: "piped",
    }).output();
    const out = new TextDecoder().decode(stdout);
    assert.doesNotMatch(out, /webhook events failed|webhook events pending for more than/, out);
    await sql.end();
    const took = performance.now() - started;
    console.log(`fault suite took ${Math.round(took)} ms`);
    assert.ok(took < 60_000, `bounded (${Math.round(took)} ms)`);
  },
});

Deno.test({
  name:
    "fault: bodies stored pending when Postgres is killed are processed once after the restart, by the amocrm-drain job",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const q = db();
    const holder = db();
    // The job is paused for the test, so that it is this test that runs its command after the
    // restart (and not the cron minute in between); restored whatever happens.
    const [job] = await q`select jobid from cron.job where jobname = 'amocrm-drain'`;
    assert.ok(job, "the amocrm-drain job exists");
    const resume = await pauseCronJobs(q, ["amocrm-drain"]);
    try {
      // A drainer is busy (this connection holds the drain lock), so each body is stored and
      // answered pending; the function's background drain queues behind the lock.
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => locked = resolve);
      const held = holder.begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(private.amocrm_drain_lock_key())`;
        locked();
        await new Promise(() => {}); // until Postgres dies under it
      }).catch(() => "ended by the kill");
      await isLocked;
      const bodies = Array.from(
        { length: 5 },
        () => leadBody("status", { id: uniqueId(), status: 142, price: "1000", at: 1 }),
      );
      const statuses = [];
      for (const body of bodies) {
        const res = await send(body);
        statuses.push([res.status, (await res.json()).status]);
      }
      assert.deepEqual(statuses, Array(5).fill([200, "pending"]));
      const shas = await Promise.all(bodies.map((b) => sha256Hex(b)));

      await crash("postgres", 1_000);
      await waitForRest();
      assert.equal(await held, "ended by the kill");
      const stored = await q`select status, attempts from public.traffic_amocrm_events
        where body_sha256 in ${q(shas)}`;
      assert.deepEqual(
        stored.map((r) => [r.status, r.attempts]),
        Array(5).fill(["pending", 0]),
        "stored, still pending after the restart (the background drain died with Postgres)",
      );

      const [{ command }] = await q`select command from cron.job where jobname = 'amocrm-drain'`;
      assert.equal(command, "select public.amocrm_drain_events(true)");
      await q.unsafe(command);
      const [after] = await q`select count(*)::int as n,
          count(*) filter (where status = 'processed' and attempts = 1)::int as once,
          (select count(*)::int from private.amocrm_lead_events le
            where le.event_id in (select id from public.traffic_amocrm_events
              where body_sha256 in ${q(shas)})) as log_rows,
          (select count(*)::int from public.traffic_leads l
            where l.amocrm_lead_id in (select (e.payload -> 'events' -> 0 ->> 'leadId')::bigint
              from public.traffic_amocrm_events e where e.body_sha256 in ${q(shas)})) as leads
        from public.traffic_amocrm_events where body_sha256 in ${q(shas)}`;
      assert.deepEqual({ ...after }, { n: 5, once: 5, log_rows: 5, leads: 5 });
      await q.unsafe(command);
      const [again] = await q`select count(*) filter (where attempts = 1)::int as once
        from public.traffic_amocrm_events where body_sha256 in ${q(shas)}`;
      assert.equal(again.once, 5, "a second run processes nothing twice");
    } finally {
      await resume();
      await holder.end({ timeout: 1 });
      await q.end();
    }
  },
});
