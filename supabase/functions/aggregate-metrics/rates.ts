/**
 * Fetches the official rates of the days the database says are missing, and turns them into
 * `exchange_rates` rows. Never throws for the source's sake: when the feed is down the run goes
 * on with the last known rates, and the warnings say so.
 *
 * @module
 */
import {
  ExchangeRatesUnavailableError,
  type NbkClient,
  type NbkDay,
} from "../_shared/exchange-rates/mod.ts";
import type { Logger } from "../_shared/logger.ts";
import type { RateNeed, RateRow } from "./store.ts";

export interface RatesFetchResult {
  /** Days asked for. */
  requested: string[];
  /** Days the feed answered with at least one rate (the date of the rates it gave). */
  fetched: string[];
  rows: RateRow[];
  warnings: string[];
  /** True when the feed could not be reached (the run used the last known rates). */
  sourceDown: boolean;
}

export interface FetchRatesOptions {
  /** Days fetched at the same time (default 3). */
  concurrency?: number;
  /** Stop starting new days after this long (default 45 s). */
  budgetMs?: number;
  now?: () => number;
}

/** Fetches every distinct day of `needs` (each day's answer has every currency). */
export async function fetchMissingRates(
  nbk: NbkClient,
  needs: RateNeed[],
  logger: Logger,
  opts: FetchRatesOptions = {},
): Promise<RatesFetchResult> {
  const now = opts.now ?? Date.now;
  const started = now();
  const budgetMs = opts.budgetMs ?? 45_000;
  const days = [...new Set(needs.map((n) => n.rate_date))].sort();
  const out: RatesFetchResult = {
    requested: days,
    fetched: [],
    rows: [],
    warnings: [],
    sourceDown: false,
  };
  const queue = [...days];
  let stop = false;

  const one = async (day: string) => {
    let answer: NbkDay;
    try {
      answer = await nbk.ratesOn(day);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (err instanceof ExchangeRatesUnavailableError) {
        out.sourceDown = true;
        stop = true;
      }
      out.warnings.push(`${msg}; the latest earlier stored rate is used for ${day}`);
      logger.warn("exchange rates: fetch failed", { day, error: msg });
      return;
    }
    const date = answer.date ?? day;
    if (answer.rates.length === 0) {
      out.warnings.push(
        `no official rates published for ${day}; the latest earlier rate is used`,
      );
      return;
    }
    if (date !== day) {
      out.warnings.push(
        `asked for ${day}, the feed answered with rates of ${date}; stored under ${date}`,
      );
    }
    const have = new Set(answer.rates.map((r) => r.currency));
    for (const n of needs.filter((n) => n.rate_date === day && !have.has(n.currency))) {
      out.warnings.push(`the feed has no ${n.currency} rate for ${day}`);
    }
    for (const s of answer.skipped) {
      out.warnings.push(`feed item ${s.item} of ${day} skipped: ${s.reason}`);
    }
    out.fetched.push(date);
    for (const r of answer.rates) {
      out.rows.push({
        rate_date: date,
        currency: r.currency,
        rate_kzt: r.rateKzt,
        quant: r.quant,
        source: "nbk",
      });
    }
  };

  const worker = async () => {
    while (queue.length > 0 && !stop) {
      if (now() - started > budgetMs) {
        out.warnings.push(
          `rate fetching stopped after ${budgetMs} ms; not fetched: ${queue.join(", ")}`,
        );
        queue.length = 0;
        return;
      }
      await one(queue.shift()!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 3, days.length) }, worker));
  if (out.sourceDown && queue.length > 0) {
    out.warnings.push(`exchange rates feed down; not fetched: ${queue.join(", ")}`);
  }
  out.fetched.sort();
  // One row per (date, currency): two requested days may answer with the same publication.
  const seen = new Set<string>();
  out.rows = out.rows.filter((r) => {
    const k = `${r.rate_date}/${r.currency}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
  return out;
}
