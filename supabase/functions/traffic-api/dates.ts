/**
 * Calendar days in TRAFFIC_TIMEZONE, as the aggregation counts them: `today` is the local date,
 * `7d` the 7 days ending today, `30d` the 30 days ending today, all inclusive.
 *
 * @module
 */
import { addDays, localDate } from "../_shared/dates.ts";
import type { Period } from "./validation.ts";

export { addDays, localDate };

const PERIOD_DAYS: Record<Period, number> = { today: 1, "7d": 7, "30d": 30 };

/** The first and last local date of `period` at `now`. */
export function periodRange(period: Period, tz: string, now: Date): { from: string; to: string } {
  const to = localDate(now, tz);
  return { from: addDays(to, 1 - PERIOD_DAYS[period]), to };
}
