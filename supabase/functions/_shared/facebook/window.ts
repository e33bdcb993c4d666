/**
 * Date windows for insights requests. Meta's `time_range` and `date_start` are calendar days in
 * the ad account's time zone, so "today" is computed in that zone, not in UTC.
 *
 * @module
 */
import { addDays, daysInclusive, DEFAULT_TIME_ZONE, isIsoDay, localDate } from "../dates.ts";
import { z } from "../deps.ts";

/** Days the scheduled run re-pulls: today and the 2 previous days. */
export const DEFAULT_WINDOW_DAYS = 3;
/** Longest window a request body may ask for, in days (inclusive). */
export const MAX_WINDOW_DAYS = 93;
/** Meta keeps insights for 37 months; an older `since` fails with error 3018. */
export const MAX_MONTHS_BACK = 37;

/** An inclusive range of calendar days, `YYYY-MM-DD`. */
export interface DateRange {
  since: string;
  until: string;
}

/** A readable, safe-to-return problem with a requested window. */
export class WindowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WindowError";
  }
}

export { addDays, daysInclusive, isIsoDay } from "../dates.ts";

/** `day` shifted back by `months` calendar months, the day clamped to the month's length. */
export function subtractMonths(day: string, months: number): string {
  const [y, m, d] = day.split("-").map(Number);
  const total = y * 12 + (m - 1) - months;
  const year = Math.floor(total / 12);
  const month = total % 12;
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(Date.UTC(year, month, Math.min(d, last))).toISOString().slice(0, 10);
}

/** The last `days` days up to and including today in `tz`: `{ days: 3 }` is today + 2 before. */
export function dateWindow(
  { days = DEFAULT_WINDOW_DAYS, tz = DEFAULT_TIME_ZONE, now = new Date() }: {
    days?: number;
    tz?: string;
    now?: Date;
  } = {},
): DateRange {
  if (!Number.isInteger(days) || days < 1) throw new WindowError("days must be a positive integer");
  const until = localDate(now, tz);
  return { since: addDays(until, -(days - 1)), until };
}

const isoDaySchema = z.string().refine(isIsoDay, "must be a real date written YYYY-MM-DD");

/**
 * The window part of a sync request body: `{}` (default window), `{ "days": N }` with N in
 * 1..93, or `{ "since": "YYYY-MM-DD", "until": "YYYY-MM-DD" }` (since <= until, at most 93 days).
 * Other keys are left alone so a function can `.extend()` it.
 */
export const syncWindowSchema = z.object({
  days: z.number().int().min(1).max(MAX_WINDOW_DAYS).optional(),
  since: isoDaySchema.optional(),
  until: isoDaySchema.optional(),
}).superRefine((v, ctx) => {
  const explicit = v.since !== undefined || v.until !== undefined;
  if (explicit && v.days !== undefined) {
    ctx.addIssue({ code: "custom", message: "give either days or since/until, not both" });
  } else if (explicit && (v.since === undefined || v.until === undefined)) {
    ctx.addIssue({ code: "custom", message: "since and until go together" });
  } else if (explicit && isIsoDay(v.since!) && isIsoDay(v.until!)) {
    if (v.since! > v.until!) {
      ctx.addIssue({ code: "custom", path: ["since"], message: "since must not be after until" });
    } else if (daysInclusive(v.since!, v.until!) > MAX_WINDOW_DAYS) {
      ctx.addIssue({
        code: "custom",
        path: ["until"],
        message: `the range may span at most ${MAX_WINDOW_DAYS} days`,
      });
    }
  }
});

/** A validated window request. */
export type SyncWindowInput = z.infer<typeof syncWindowSchema>;

/**
 * Turns a validated window request into dates for one account: the default or `days` window in
 * `tz`, or the explicit range. Throws `WindowError` when `since` is more than 37 months before
 * today in `tz` (Meta error 3018) or `until` is after today.
 */
export function resolveSyncWindow(
  input: SyncWindowInput,
  { tz = DEFAULT_TIME_ZONE, now = new Date(), defaultDays = DEFAULT_WINDOW_DAYS }: {
    tz?: string;
    now?: Date;
    defaultDays?: number;
  } = {},
): DateRange {
  if (input.since === undefined || input.until === undefined) {
    return dateWindow({ days: input.days ?? defaultDays, tz, now });
  }
  const today = localDate(now, tz);
  const earliest = subtractMonths(today, MAX_MONTHS_BACK);
  if (input.since < earliest) {
    throw new WindowError(`since must not be before ${earliest} (Meta keeps 37 months)`);
  }
  if (input.until > today) throw new WindowError(`until must not be after today (${today})`);
  return { since: input.since, until: input.until };
}
