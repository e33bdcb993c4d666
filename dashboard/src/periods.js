// @ts-check
/**
 * Calendar days in the dashboard's time zone (the API's TRAFFIC_TIMEZONE, Asia/Almaty by
 * default), as `YYYY-MM-DD` strings moved in whole days in UTC.
 *
 * @module
 */

/** @param {Date | number} now @param {string} tz */
export function localDate(now, tz) {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: tz,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(now);
}

/** @param {string} day @param {number} n */
export function addDays(day, n) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** @param {string} from @param {string} to */
export function daysInclusive(from, to) {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 864e5) +
    1;
}

/** @type {Record<string, number>} */
export const PERIOD_DAYS = { today: 1, "7d": 7, "30d": 30 };

/** The range a stored period covers at `now` (the aggregation's own definition). @param {string} period @param {string} tz */
export function periodRange(period, tz, now = new Date()) {
  const to = localDate(now, tz);
  return { from: addDays(to, 1 - (PERIOD_DAYS[period] ?? 7)), to };
}
