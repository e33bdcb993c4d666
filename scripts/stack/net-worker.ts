/**
 * The local stack's stand-in for pg_net's background worker: it takes committed requests from
 * `net.http_request_queue`, sends them over real HTTP, and writes each outcome to
 * `net._http_response` under the request's id (status, headers, body, or timeout / error).
 * Like pg_net, a request is taken off the queue when it is sent (delivery is best effort).
 *
 * Environment: SUPABASE_DB_URL.
 */
import { postgres } from "../lib/deps.ts";

const sql = postgres(Deno.env.get("SUPABASE_DB_URL")!, { max: 4, onnotice: () => {} });

type Queued = {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Uint8Array<ArrayBuffer> | null;
  timeout_milliseconds: number;
};

async function deliver(r: Queued): Promise<void> {
  const started = Date.now();
  let row: Record<string, unknown>;
  try {
    const res = await fetch(r.url, {
      method: r.method,
      headers: r.headers,
      body: r.body ?? undefined,
      signal: AbortSignal.timeout(r.timeout_milliseconds),
    });
    const content = await res.text();
    row = {
      id: r.id,
      status_code: res.status,
      content_type: res.headers.get("content-type"),
      headers: Object.fromEntries(res.headers),
      content,
      timed_out: false,
      error_msg: null,
    };
  } catch (err) {
    const timedOut = err instanceof DOMException &&
      (err.name === "TimeoutError" || err.name === "AbortError");
    row = {
      id: r.id,
      status_code: null,
      content_type: null,
      headers: null,
      content: null,
      timed_out: timedOut,
      error_msg: timedOut
        ? `Timeout of ${r.timeout_milliseconds} ms reached. Total time: ${Date.now() - started} ms`
        : `Couldn't connect to server: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  await sql`insert into net._http_response ${sql(row)}`;
  console.log(
    `[net-worker] ${r.method} ${new URL(r.url).pathname} -> ${row.status_code ?? row.error_msg}`,
  );
}

let draining = false;
let again = false;
async function drain(): Promise<void> {
  if (draining) {
    again = true;
    return;
  }
  draining = true;
  try {
    do {
      again = false;
      const batch = await sql<Queued[]>`
        delete from net.http_request_queue
        where id in (select id from net.http_request_queue order by id limit 50 for update skip locked)
        returning id::text, method, url, headers, body, timeout_milliseconds`;
      if (batch.length > 0) again = true;
      // Sent concurrently, as pg_net does; a slow function does not hold up the others.
      for (const r of batch) deliver(r).catch((e) => console.error(`[net-worker] ${e}`));
    } while (again);
  } catch (err) {
    console.error(`[net-worker] drain failed: ${err instanceof Error ? err.message : err}`);
  } finally {
    draining = false;
  }
}

await sql.listen("net_http_request", () => drain());
setInterval(drain, 1000);
console.log("[net-worker] listening for net.http_request_queue");
await drain();
