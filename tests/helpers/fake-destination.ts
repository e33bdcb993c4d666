/**
 * A fake alert destination: a loopback HTTP server that records every request (path, headers,
 * body) and answers from a script per path prefix (e.g. a 503 first, then 200), like the Telegram
 * Bot API (`/bot<token>/sendMessage`, `{ ok: true }`) or any JSON webhook.
 *
 * @module
 */

export interface Delivery {
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export interface FakeDestination {
  url: string;
  deliveries: Delivery[];
  /**
   * Answers for requests whose path starts with `prefix` (and whose body contains `onlyIf`, when
   * given), used in order; the last one repeats. Anything else is answered 200 `{ ok: true }`.
   */
  script(prefix: string, answers: { status: number; body?: unknown }[], onlyIf?: string): void;
  close(): Promise<void>;
}

export function startFakeDestination(): FakeDestination {
  const deliveries: Delivery[] = [];
  const scripts = new Map<
    string,
    { onlyIf?: string; answers: { status: number; body?: unknown }[] }
  >();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    let body: Record<string, unknown> = {};
    try {
      body = await req.json();
    } catch {
      // not JSON: recorded empty
    }
    deliveries.push({ path, headers: Object.fromEntries(req.headers), body });
    const text = JSON.stringify(body);
    const prefix = [...scripts.keys()].find((p) =>
      path.startsWith(p) && (!scripts.get(p)!.onlyIf || text.includes(scripts.get(p)!.onlyIf!))
    );
    const list = prefix ? scripts.get(prefix)!.answers : [];
    const answer = list.length > 1 ? list.shift()! : list[0] ?? { status: 200, body: { ok: true } };
    return Response.json(answer.body ?? { ok: answer.status < 300 }, { status: answer.status });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    deliveries,
    script: (prefix, answers, onlyIf) =>
      void scripts.set(prefix, { onlyIf, answers: [...answers] }),
    close: () => server.shutdown(),
  };
}
