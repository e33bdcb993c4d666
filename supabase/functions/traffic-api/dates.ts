/**
 * Calendar days in TRAFFIC_TIMEZONE, as the aggregation counts them: `today` is the local date,
 * `7d` the 7 days ending today, `30d` the 30 days ending today, all inclusive.
 *
 * @module
 */
import type { Period } from "./validation.ts";

const PERIOD_DAYS: Record<Period, number> = { today: 1, "7d": 7, "30d": 30 };

/** The calendar date (YYYY-MM-DD) of `now` in time zone `tz`. */
export function localDate(now: Date, tz: string): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: tz,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(now);
}

/** `date` (YYYY-MM-DD) moved by `days` calendar days. */
export function addDays(date: string, days: number): string {
  const t = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/** The first and last local date of `period` at `now`. */
export function periodRange(period: Period, tz: string, now: Date): { from: string; to: string } {
  const to = localDate(now, tz);
  return { from: addDays(to, 1 - PERIOD_DAYS[period]), to };
}
