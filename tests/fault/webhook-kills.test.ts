/**
 * The fault suite: under a webhook load, PostgREST and then Postgres are killed (SIGKILL) for a
 * few seconds and restarted with the stack's own scripts. Every body answered 2xx must be stored
 * and, after recovery, processed by the scheduled replay job (its command run directly rather
 * than waiting for the cron minute); every other answer must be a 503 (AmoCRM retries those, and
 * the retries are stored too); `npm run status` shows no failed or stale webhook afterwards.
 */
import assert from "node:assert/strict";
import { sha256Hex } from "../../supabase/functions/_shared/hash.ts";
import { leadBody, uniqueId, WEBHOOK_SECRET } from "../helpers/amocrm.ts";
import { type Answer, crash, load, pool, sleep, waitForRest } from "../helpers/faults.ts";
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

    // The scheduled replay takes what the kills left pending. Its cron minute is not awaited:
    // the pending events are aged past the stale threshold and the job's own command is run.
    const allShas = await Promise.all(answers.map((a) => sha256Hex(a.body)));
    const [{ pending }] = await sql`select count(*)::int as pending
      from public.traffic_amocrm_events
      where body_sha256 in ${sql(allShas)} and status in ('pending', 'failed')`;
    await sql`update public.traffic_amocrm_events
      set received_at = received_at - private.amocrm_stale_pending_age() - interval '1 second'
      where body_sha256 in ${sql(allShas)} and status = 'pending'`;
    const [{ command }] = await sql`select command from cron.job where jobname = 'amocrm-replay'
      and active and schedule = '* * * * *'`;
    for (let i = 0; i < 10; i++) {
      const [row] = await sql.unsafe(command);
      if ((Object.values(row)[0] as { selected: number }).selected === 0) break;
    }
    const states = await sql`select status, count(*)::int as n from public.traffic_amocrm_events
      where body_sha256 in ${sql(allShas)} group by status order by status`;
    console.log(
      `fault outcome: ${pending} left pending/failed by the kills, after the replay job: ${
        JSON.stringify(states)
      }`,
    );
    assert.deepEqual(
      states.map((r) => [r.status, r.n]),
      [["processed", answers.length]],
      "every body is stored and processed",
    );

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
