/**
 * Stored webhooks never stay pending or failed: the pg_cron job `amocrm-replay` (every minute)
 * replays stale pending events and failed ones past their back-off, bounded per run, and
 * `npm run status` reports pending events older than five minutes (`--strict` fails on them).
 */
import assert from "node:assert/strict";
import { eventOf, leadBody, send, uniqueId } from "../helpers/amocrm.ts";
import { pauseCronJobs } from "../helpers/cron.ts";
import { db } from "../helpers/stack.ts";

const sql = db();
const opts = { sanitizeResources: false, sanitizeOps: false };

async function status(): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "-A", "scripts/status.ts", "--strict"],
    cwd: new URL("../../", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code, out: new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr) };
}

Deno.test({
  ...opts,
  name: "amocrm-replay job: scheduled every minute, pure SQL, no URL or key in its command",
  fn: async () => {
    const [job] = await sql`select schedule, command, active from cron.job
      where jobname = 'amocrm-replay'`;
    assert.ok(job, "the job exists");
    assert.equal(job.schedule, "* * * * *");
    assert.equal(job.active, true);
    assert.equal(job.command, "select private.amocrm_replay_due(200)");
  },
});

Deno.test({
  ...opts,
  name:
    "amocrm-replay job: a stale pending event is shown by status --strict, then processed by the job",
  fn: async () => {
    // The stack's own amocrm-replay and amocrm-drain (every minute) would take the stale event as
    // soon as it is made stale: once, at 19:50:00, between the update below and `status` (a
    // full npm test, 2026-12-07). Paused, the event stays pending until this test runs the job's
    // command itself.
    const resume = await pauseCronJobs(sql, ["amocrm-replay", "amocrm-drain"]);
    try {
      await staleEventReplayed();
    } finally {
      await resume();
    }
  },
});

/** The stale event: shown by status --strict, replayed by the job's command, then not shown. */
async function staleEventReplayed(): Promise<void> {
  const body = leadBody("add", { id: uniqueId(), status: 1, at: 0 });
  assert.equal((await send(body)).status, 200);
  const { id } = await eventOf(sql, body);
  // As if its processor had died six minutes ago, before finishing.
  await sql`delete from private.amocrm_lead_events where event_id = ${id}`;
  await sql`update public.traffic_amocrm_events
    set status = 'pending', attempts = 0, processed_at = null,
        received_at = now() - interval '6 minutes'
    where id = ${id}`;
  const before = await status();
  assert.equal(before.code, 1, before.out);
  assert.match(before.out, /\d+ webhook events pending for more than 5 minutes/);

  const [{ command }] = await sql`select command from cron.job where jobname = 'amocrm-replay'`;
  const [run] = await sql.unsafe(command);
  const summary = Object.values(run)[0] as { event_ids: number[] };
  const event = await eventOf(sql, body);
  assert.equal(event.status, "processed");
  assert.ok(summary.event_ids.includes(id), JSON.stringify(summary));
  assert.equal(event.attempts, 1);
  const after = await status();
  assert.doesNotMatch(after.out, /webhook events pending for more than/);
  const [hist] = await sql`select triggered_by, success from public.traffic_sync_history
    where sync_type = 'amocrm_replay' order by id desc limit 1`;
  assert.deepEqual({ ...hist }, { triggered_by: "cron", success: true });
}

Deno.test({
  ...opts,
  name:
    "amocrm-replay job: a failed event is retried after its back-off, fewest attempts first, bounded",
  fn: async () => {
    const a = leadBody("add", { id: uniqueId(), status: 1, at: 0 });
    const b = leadBody("add", { id: uniqueId(), status: 1, at: 0 });
    await send(a);
    await send(b);
    const ea = (await eventOf(sql, a)).id;
    const eb = (await eventOf(sql, b)).id;
    // a failed once a minute ago (back-off 1 min: due); b failed 7 times, 10 minutes ago (back-off
    // 60 min: not due).
    await sql`update public.traffic_amocrm_events set status = 'failed', error = 'simulated',
      attempts = 1, processed_at = now() - interval '61 seconds' where id = ${ea}`;
    await sql`update public.traffic_amocrm_events set status = 'failed', error = 'simulated',
      attempts = 7, processed_at = now() - interval '10 minutes' where id = ${eb}`;
    const [{ r }] = await sql`select private.amocrm_replay_due(10000) as r`;
    assert.ok(r.event_ids.includes(ea), "a is due");
    assert.ok(!r.event_ids.includes(eb), "b waits for its back-off");
    assert.equal((await eventOf(sql, a)).status, "processed");
    assert.equal((await eventOf(sql, b)).status, "failed");
    await sql`update public.traffic_amocrm_events set processed_at = now() - interval '61 minutes'
      where id = ${eb}`;
    const [{ r: one }] = await sql`select private.amocrm_replay_due(1) as r`;
    assert.equal(one.selected, 1, "bounded by its limit");
    const [{ r: again }] = await sql`select private.amocrm_replay_due(10000) as r`;
    assert.ok(!again.event_ids.includes(ea), "a processed event is not replayed again");
    assert.equal((await eventOf(sql, b)).status, "processed");
    await sql.end();
  },
});
