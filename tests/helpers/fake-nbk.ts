/**
 * A fake National Bank of Kazakhstan rates feed on a loopback port, for integration tests where
 * the function under test runs in another process (msw cannot reach it). It serves the recorded
 * fixture when one exists for the day, generated XML for days given in `rates`, an empty
 * publication for other days, or 503 while `down`.
 *
 * @module
 */

export interface FakeNbk {
  /** Every `fdate` asked for, in order. */
  requests: string[];
  /** `DD.MM.YYYY` → currency → KZT per unit, served as generated XML. */
  rates: Map<string, Record<string, string>>;
  /** Answer 503 to everything. */
  down: boolean;
  /** Delay (ms) before answering a given `fdate`. */
  delays: Map<string, number>;
  /** A given `fdate` is answered only once its promise settles (a test acts meanwhile). */
  holds: Map<string, Promise<void>>;
  close(): Promise<void>;
}

function xmlFor(fdate: string, rates: Record<string, string>): string {
  const items = Object.entries(rates).map(([cur, rate]) =>
    `  <item>\n    <fullname>${cur}</fullname>\n    <title>${cur}</title>\n` +
    `    <description>${rate}</description>\n    <quant>1</quant>\n  </item>\n`
  ).join("");
  return `<?xml version="1.0" encoding="utf-8"?>\n<rates>\n  <date>${fdate}</date>\n${items}</rates>\n`;
}

/** Starts the fake on the port of `url` (e.g. `EXCHANGE_RATES_URL`). */
export function startFakeNbk(url: string, fixturesDir: URL): FakeNbk {
  const port = Number(new URL(url).port);
  const fake: Omit<FakeNbk, "close"> = {
    requests: [],
    rates: new Map(),
    down: false,
    delays: new Map(),
    holds: new Map(),
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, async (req) => {
    const fdate = new URL(req.url).searchParams.get("fdate") ?? "";
    fake.requests.push(fdate);
    const wait = fake.delays.get(fdate);
    if (wait) await new Promise((ok) => setTimeout(ok, wait));
    await fake.holds.get(fdate);
    if (fake.down) return new Response("Service Unavailable", { status: 503 });
    const [d, m, y] = fdate.split(".");
    const headers = { "content-type": "text/xml; charset=utf-8" };
    try {
      const body = await Deno.readFile(new URL(`rates-${y}-${m}-${d}.xml`, fixturesDir));
      return new Response(body, { headers });
    } catch {
      // no recorded day: generated or empty
    }
    return new Response(xmlFor(fdate, fake.rates.get(fdate) ?? {}), { headers });
  });
  return Object.assign(fake, { close: () => server.shutdown() });
}
