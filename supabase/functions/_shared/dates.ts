/**
 * Calendar days as the whole system counts them: `YYYY-MM-DD` strings, local to a time zone
 * (`TRAFFIC_TIMEZONE`, default Asia/Almaty), moved in whole days in UTC so no DST or offset can
 * shift them. One module for the functions, the scripts and the tests.
 *
 * @module
 */

/** The team's time zone: the default of `TRAFFIC_TIMEZONE`. */
export const DEFAULT_TIME_ZONE = "Asia/Almaty";

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True when `s` is a real calendar day written `YYYY-MM-DD`. */
export function isIsoDay(s: string): boolean {
  const m = ISO_DAY.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.toISOString().slice(0, 10) === s;
}

/** `day` shifted by `n` calendar days (negative goes back). */
export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** Number of days from `since` to `until`, both included (1 for a single day). */
export function daysInclusive(since: string, until: string): number {
  return Math.round((Date.parse(`${until}T00:00:00Z`) - Date.parse(`${since}T00:00:00Z`)) / 864e5) +
    1;
}

/**
 * The calendar day of instant `now` in time zone `tz` (throws `RangeError` on an unknown zone).
 * Formatted at most once per second of time and zone (Intl's format is the costly part, and a
 * request path asks for today's date on every request): every zone's offset is a whole number of
 * seconds, so a local day starts and ends on a whole second and the date is the same for all of one.
 */
export function localDate(now: Date | number, tz: string): string {
  const second = Math.floor(+now / 1000);
  const last = lastDays.get(tz);
  if (last && last.second === second) return last.day;
  let format = dayFormats.get(tz);
  if (!format) {
    format = new Intl.DateTimeFormat("en-CA", {
      timeZone: tz,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    });
    dayFormats.set(tz, format);
  }
  const day = format.format(now);
  lastDays.set(tz, { second, day });
  return day;
}

/** Per time zone, the last second of time {@link localDate} formatted and its day. */
const lastDays = new Map<string, { second: number; day: string }>();

/** One formatter per time zone: building one costs more than formatting many dates with it. */
const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** True when `tz` is a time zone this runtime knows (for validating `TRAFFIC_TIMEZONE`). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-CA", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
