/**
 * A client for the National Bank of Kazakhstan's official daily rates
 * (`GET <baseUrl>?fdate=DD.MM.YYYY`). `fetch`, `sleep` and `now` are injected so tests run it
 * against a fake feed with fake time.
 *
 * Retries network errors, timeouts, 5xx and 429 with exponential backoff (honouring
 * `Retry-After` in seconds) until `retries` are used up or `deadlineMs` has passed; a 4xx or a
 * body that is not the feed fails at once.
 *
 * @example
 * ```ts
 * const nbk = createNbkClient({ baseUrl: "https://nationalbank.kz/rss/get_rates.cfm" });
 * const day = await nbk.ratesOn("2026-11-06");
 * day.rates.find((r) => r.currency === "USD")?.rateKzt; // "470.15"
 * ```
 *
 * @module
 */
import type { Logger } from "../logger.ts";
import { ExchangeRatesResponseError, ExchangeRatesUnavailableError } from "./errors.ts";
import { type NbkRates, parseNbkRates, toNbkDate } from "./parse.ts";

/** The public feed; override with `EXCHANGE_RATES_URL`. */
export const DEFAULT_EXCHANGE_RATES_URL = "https://nationalbank.kz/rss/get_rates.cfm";

export interface NbkClientOptions {
  /** The feed URL without query, e.g. {@link DEFAULT_EXCHANGE_RATES_URL}. */
  baseUrl: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  logger?: Logger;
  /** Retries after the first attempt (default 3). */
  retries?: number;
  /** First backoff delay; doubles each retry up to `maxBackoffMs` (defaults 500 and 8000). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Per-attempt timeout (default 10 s). */
  timeoutMs?: number;
  /** Give up when the next attempt would start after this much time (default 30 s). */
  deadlineMs?: number;
}

/** What the feed published for a requested day. */
export interface NbkDay extends NbkRates {
  /** The day asked for (`YYYY-MM-DD`). */
  requestedDate: string;
  attempts: number;
}

export interface NbkClient {
  /** The official rates published for `date` (`YYYY-MM-DD`); `rates` is empty on a day without. */
  ratesOn(date: string): Promise<NbkDay>;
}

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Creates the client. */
export function createNbkClient(opts: NbkClientOptions): NbkClient {
  const doFetch = opts.fetch ?? fetch;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((ok) => setTimeout(ok, ms)));
  const now = opts.now ?? Date.now;
  const retries = opts.retries ?? 3;
  const backoffMs = opts.backoffMs ?? 500;
  const maxBackoffMs = opts.maxBackoffMs ?? 8000;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const deadlineMs = opts.deadlineMs ?? 30_000;

  async function ratesOn(date: string): Promise<NbkDay> {
    const url = new URL(opts.baseUrl);
    url.searchParams.set("fdate", toNbkDate(date));
    const started = now();
    let lastError = "no attempt made";
    let lastStatus: number | undefined;
    for (let attempt = 1; attempt <= retries + 1; attempt++) {
      let retryAfterMs: number | undefined;
      try {
        const res = await doFetch(url, {
          headers: { accept: "application/xml, text/xml;q=0.9, */*;q=0.5" },
          signal: AbortSignal.timeout(timeoutMs),
        });
        const bytes = new Uint8Array(await res.arrayBuffer());
        if (res.ok) {
          const parsed = parseNbkRates(decode(bytes, res.headers.get("content-type")));
          if (!parsed) {
            throw new ExchangeRatesResponseError(
              `exchange rates feed answered ${res.status} with a body that is not a rates feed`,
              attempt,
              res.status,
            );
          }
          return { ...parsed, requestedDate: date, attempts: attempt };
        }
        lastStatus = res.status;
        lastError = `HTTP ${res.status}`;
        if (!RETRYABLE.has(res.status)) {
          throw new ExchangeRatesResponseError(
            `exchange rates feed answered HTTP ${res.status} for ${date}`,
            attempt,
            res.status,
          );
        }
        const ra = Number(res.headers.get("retry-after"));
        if (Number.isFinite(ra) && ra > 0) retryAfterMs = ra * 1000;
      } catch (err) {
        if (err instanceof ExchangeRatesResponseError) throw err;
        lastStatus = undefined;
        lastError = err instanceof Error && err.name === "TimeoutError"
          ? `timed out after ${timeoutMs} ms`
          : `network error: ${err instanceof Error ? err.message : String(err)}`;
      }
      if (attempt > retries) break;
      const delay = Math.min(retryAfterMs ?? backoffMs * 2 ** (attempt - 1), maxBackoffMs);
      if (now() - started + delay >= deadlineMs) {
        lastError += ` (deadline of ${deadlineMs} ms reached)`;
        throw new ExchangeRatesUnavailableError(
          `exchange rates feed unavailable for ${date}: ${lastError}`,
          attempt,
          lastStatus,
        );
      }
      opts.logger?.warn("exchange rates: retrying", { date, attempt, error: lastError, delay });
      await sleep(delay);
    }
    throw new ExchangeRatesUnavailableError(
      `exchange rates feed unavailable for ${date} after ${retries + 1} attempts: ${lastError}`,
      retries + 1,
      lastStatus,
    );
  }

  return { ratesOn };
}

/** Decodes the body with the charset of the header or the XML declaration (UTF-8 by default). */
function decode(bytes: Uint8Array, contentType: string | null): string {
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 200));
  const charset = contentType?.match(/charset=["']?([\w-]+)/i)?.[1] ??
    head.match(/<\?xml[^>]*encoding=["']([\w-]+)["']/i)?.[1] ?? "utf-8";
  try {
    return new TextDecoder(charset.toLowerCase()).decode(bytes);
  } catch {
    return new TextDecoder().decode(bytes);
  }
}
