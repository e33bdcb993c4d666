/**
 * Parses the National Bank of Kazakhstan's daily rates feed (`get_rates.cfm?fdate=DD.MM.YYYY`):
 *
 * ```xml
 * <rates>
 *   <date>07.11.2026</date>
 *   <item><fullname>ДОЛЛАР США</fullname><title>USD</title><description>470.15</description>
 *     <quant>1</quant><index>UP</index><change>+1.12</change></item>
 *   …
 * </rates>
 * ```
 *
 * `description` is the KZT price of `quant` units; `rateKzt` is the price of one unit, an exact
 * decimal string. Items that do not validate are skipped and listed in `skipped` (a missing
 * currency then shows up downstream as a missing rate, loudly), never guessed.
 *
 * @module
 */
import { z } from "../deps.ts";
import { divideDecimal, normalizeFeedDecimal } from "../decimal.ts";
import { childText, findAll, parseXml } from "./xml.ts";

/** One currency's official rate on a day. */
export interface NbkRate {
  /** ISO 4217 code, e.g. `USD`. */
  currency: string;
  fullname: string | null;
  /** KZT for `quant` units, as published (normalised decimal string). */
  value: string;
  quant: number;
  /** KZT for one unit: `value / quant`, exact. */
  rateKzt: string;
}

/** A parsed feed document. */
export interface NbkRates {
  /** The publication date the feed states (`YYYY-MM-DD`), or null when it states none. */
  date: string | null;
  rates: NbkRate[];
  /** Items that were skipped, with the reason. */
  skipped: { item: number; reason: string }[];
}

const itemSchema = z.object({
  title: z.string().trim().toUpperCase().regex(/^[A-Z]{3}$/, "title is not a currency code"),
  description: z.string().transform((s, ctx) => {
    const n = normalizeFeedDecimal(s);
    if (n === null || /^0(\.0*)?$/.test(n)) {
      ctx.addIssue({ code: "custom", message: `description ${JSON.stringify(s)} is not a rate` });
      return z.NEVER;
    }
    return n;
  }),
  quant: z.string().trim().regex(/^[1-9]\d{0,9}$/, "quant is not a positive integer")
    .transform(Number),
  fullname: z.string().nullable(),
});

/** `DD.MM.YYYY` → `YYYY-MM-DD`, or null when it is not a real calendar date. */
export function parseNbkDate(s: string): string | null {
  const m = s.trim().match(/^(\d{2})\.(\d{2})\.(\d{4})$/);
  if (!m) return null;
  const iso = `${m[3]}-${m[2]}-${m[1]}`;
  const d = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(iso) ? iso : null;
}

/** `YYYY-MM-DD` → `DD.MM.YYYY` (the feed's `fdate`). */
export function toNbkDate(iso: string): string {
  const m = iso.match(/^(\d{4})-(\d{2})-(\d{2})$/);
  if (!m) throw new RangeError(`not an ISO date: ${JSON.stringify(iso)}`);
  return `${m[3]}.${m[2]}.${m[1]}`;
}

/**
 * Parses a feed body. Returns null when the body is not a rates document at all (no `<rates>`
 * root and no `<item>`s), so the caller can report a bad response.
 */
export function parseNbkRates(xml: string): NbkRates | null {
  const doc = parseXml(xml);
  const root = findAll(doc, "rates")[0] ?? findAll(doc, "channel")[0];
  const items = findAll(root ?? doc, "item");
  if (!root && items.length === 0) return null;
  const dateText = root ? childText(root, "date") : null;
  const out: NbkRates = { date: dateText ? parseNbkDate(dateText) : null, rates: [], skipped: [] };
  const seen = new Set<string>();
  items.forEach((item, n) => {
    const parsed = itemSchema.safeParse({
      title: childText(item, "title") ?? "",
      description: childText(item, "description") ?? "",
      quant: childText(item, "quant") || "1",
      fullname: childText(item, "fullname"),
    });
    if (!parsed.success) {
      out.skipped.push({ item: n, reason: parsed.error.issues.map((i) => i.message).join("; ") });
      return;
    }
    const { title, description, quant, fullname } = parsed.data;
    if (seen.has(title)) {
      out.skipped.push({ item: n, reason: `duplicate currency ${title}` });
      return;
    }
    seen.add(title);
    out.rates.push({
      currency: title,
      fullname,
      value: description,
      quant,
      rateKzt: divideDecimal(description, quant),
    });
  });
  return out;
}
