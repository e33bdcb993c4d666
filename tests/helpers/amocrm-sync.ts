/**
 * Helpers for the amocrm-sync integration tests: the fake AmoCRM account on the port the test
 * stack's function calls (AMOCRM_API_URL, set by scripts/test.sh), invoking the function, and
 * delivering the fake's webhooks to amocrm-webhook.
 *
 * @module
 */
import { FakeCrm, serveFakeAmoApi } from "../fakes/amocrm-api.ts";
import { ACCOUNT, drainPending, WEBHOOK_SECRET } from "./amocrm.ts";
import { pauseScheduledRuns } from "./cron.ts";
import { db, stackEnv } from "./stack.ts";

type Sql = ReturnType<typeof db>;

/** The token the stack's amocrm-sync sends (scripts/test.sh). */
export const TOKEN = Deno.env.get("AMOCRM_ACCESS_TOKEN") ?? "test-amocrm-token";

/** A fake AmoCRM account served where the test stack's function looks for it. */
export function startFakeCrm(): { crm: FakeCrm; close: () => Promise<void> } {
  const url = Deno.env.get("AMOCRM_API_URL");
  if (!url) throw new Error("AMOCRM_API_URL is not set: run the tests through npm test");
  const crm = new FakeCrm(TOKEN, ACCOUNT);
  const server = serveFakeAmoApi(crm, Number(new URL(url).port));
  return { crm, close: server.close };
}

/**
 * Pauses the stack's own pg_cron `amocrm-sync` job (every 10 minutes, at :03, :13, …) and waits
 * until no run it started is still reading (`pauseScheduledRuns`). Returns the function that puts
 * the job back as it was.
 */
export function pauseScheduledSync(sql: Sql): Promise<() => Promise<void>> {
  return pauseScheduledRuns(sql, "amocrm-sync", "amocrm");
}

/** Forgets the account's watermarks, so the next run reads the default window again. */
export async function resetSyncState(sql: Sql): Promise<void> {
  await sql`delete from private.amocrm_sync_state`;
}

/** POSTs to amocrm-sync through the gateway (service key unless `key` is given). */
export async function invokeSync(
  key: string | null = stackEnv().SUPABASE_SERVICE_ROLE_KEY,
): Promise<{ status: number; json: Record<string, unknown>; text: string }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key) {
    headers.authorization = `Bearer ${key}`;
    headers.apikey = key;
  }
  const res = await fetch(`${stackEnv().SUPABASE_URL}/functions/v1/amocrm-sync`, {
    method: "POST",
    headers,
    body: JSON.stringify({ triggered_by: "test" }),
  });
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text), text };
}

/** POSTs webhook bodies to amocrm-webhook, a few at a time; throws unless each is stored; returns once each is processed. */
export async function deliver(bodies: string[], concurrency = 4): Promise<void> {
  const url = new URL(`${stackEnv().SUPABASE_URL}/functions/v1/amocrm-webhook`);
  url.searchParams.set("secret", WEBHOOK_SECRET);
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body,
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`amocrm-webhook answered ${res.status}: ${text}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  // A body answered "pending" (another delivery was processing) is processed by the function's
  // background drain moments later; wait for it, as amocrm_drain_events(true) does.
  const sql = db();
  try {
    await drainPending(sql);
  } finally {
    await sql.end();
  }
}

/** Now, in Unix seconds, minus `hoursAgo` hours: inside the first run's 30-day window. */
export function ago(hoursAgo: number): number {
  return Math.floor(Date.now() / 1000) - Math.round(hoursAgo * 3600);
}
