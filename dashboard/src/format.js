// @ts-check
/**
 * Numbers as people in Kazakhstan read them: thousands grouped with a thin (narrow no-break)
 * space, tenge whole with ₸, dollars with cents, ROAS as 2.17×. The API sends money as exact
 * decimal strings; rounding happens here, on the string, never through a float sum.
 *
 * @module
 */

/** U+202F NARROW NO-BREAK SPACE: the thin space that groups thousands and never wraps. */
export const THIN = "\u202f";
export const DASH = "—";

/**
 * Rounds a decimal string (or number) half away from zero to `places`, exactly.
 * @param {string | number | null | undefined} value
 * @param {number} places
 * @returns {string | null} null for a missing value
 */
export function roundDecimal(value, places) {
  if (value === null || value === undefined || value === "") return null;
  const s = String(value).trim();
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m) return null;
  const [, sign, int = "", frac = ""] = m;
  const digits = (int || "0") + frac.padEnd(places, "0").slice(0, places);
  let n = BigInt(digits);
  if (Number(frac[places] ?? "0") >= 5) n += 1n;
  const str = n.toString().padStart(places + 1, "0");
  const out = places > 0 ? `${str.slice(0, -places)}.${str.slice(-places)}` : str;
  return sign && /[1-9]/.test(out) ? `-${out}` : out;
}

/**
 * Groups the integer part with thin spaces and writes the decimal separator of `lang`.
 * @param {string} rounded a plain decimal string
 * @param {string} lang "ru" (comma) or "en" (point)
 */
export function groupDigits(rounded, lang) {
  const neg = rounded.startsWith("-");
  const [int, frac] = rounded.replace("-", "").split(".");
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, THIN);
  const sep = lang === "ru" ? "," : ".";
  return `${neg ? "−" : ""}${grouped}${frac !== undefined ? sep + frac : ""}`;
}

/** @param {string | number | null | undefined} v @param {string} lang */
export function formatKzt(v, lang) {
  const r = roundDecimal(v, 0);
  return r === null ? DASH : `${groupDigits(r, lang)}${THIN}₸`;
}

/** @param {string | number | null | undefined} v @param {string} lang */
export function formatUsd(v, lang) {
  const r = roundDecimal(v, 2);
  if (r === null) return DASH;
  const g = groupDigits(r, lang);
  return g.startsWith("−") ? `−$${g.slice(1)}` : `$${g}`;
}

/** @param {string | number | null | undefined} v @param {string} lang */
export function formatRoas(v, lang) {
  const r = roundDecimal(v, 2);
  return r === null ? DASH : `${groupDigits(r, lang)}×`;
}

/** @param {string | number | null | undefined} v @param {string} lang */
export function formatCount(v, lang) {
  const r = roundDecimal(v, 0);
  return r === null ? DASH : groupDigits(r, lang);
}

/**
 * A ratio (0.0123) as a percentage ("1.23%"), shifting the decimal point on the string.
 * @param {string | number | null | undefined} v @param {string} lang
 */
export function formatPercent(v, lang) {
  if (v === null || v === undefined || v === "") return DASH;
  const r = roundDecimal(shiftPoint(String(v), 2), 2);
  return r === null ? DASH : `${groupDigits(r, lang)}%`;
}

/**
 * A percentage the API already expresses in percent ("37.50") as "37.5%"; signed counts keep
 * their sign. @param {string | number | null | undefined} v @param {string} lang
 */
export function formatPoints(v, lang) {
  if (v === null || v === undefined || v === "") return DASH;
  const r = roundDecimal(v, 1);
  return r === null ? DASH : `${groupDigits(r, lang)}%`;
}

/** "0.0123" → "1.23": multiplies a decimal string by 10^n without a float. @param {string} s @param {number} n */
export function shiftPoint(s, n) {
  const neg = s.startsWith("-");
  const [int, frac = ""] = s.replace("-", "").split(".");
  const padded = frac.padEnd(n, "0");
  const whole = (int + padded.slice(0, n)).replace(/^0+(?=\d)/, "");
  const rest = padded.slice(n);
  return `${neg ? "-" : ""}${whole}${rest ? `.${rest}` : ""}`;
}

/**
 * The change of `current` against `previous` as a display percentage, or null when there is
 * nothing to compare with (no previous value, or it was zero). Display arithmetic only.
 * @param {string | number | null | undefined} current
 * @param {string | number | null | undefined} previous
 * @returns {number | null}
 */
export function changeRatio(current, previous) {
  if (current === null || current === undefined || previous === null || previous === undefined) {
    return null;
  }
  const c = Number(current);
  const p = Number(previous);
  if (!Number.isFinite(c) || !Number.isFinite(p) || p === 0) return null;
  return (c - p) / Math.abs(p);
}

/** "+12.5%" / "−3.0%" / "0.0%". @param {number} ratio @param {string} lang */
export function formatChange(ratio, lang) {
  const pct = Math.round(ratio * 1000) / 10;
  const body = groupDigits(Math.abs(pct).toFixed(1), lang);
  return `${pct > 0 ? "+" : pct < 0 ? "−" : ""}${body}%`;
}

/**
 * A timestamp as local date and time in `tz` ("02.12.2026, 09:15").
 * @param {string | null | undefined} iso @param {string} lang @param {string} tz
 */
export function formatDateTime(iso, lang, tz) {
  if (!iso) return DASH;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return DASH;
  return new Intl.DateTimeFormat(lang === "ru" ? "ru-RU" : "en-GB", {
    timeZone: tz,
    dateStyle: "short",
    timeStyle: "short",
  }).format(d);
}

/** "2026-12-02" → "02.12.2026" (ru) / "2 Dec 2026" (en). @param {string} day @param {string} lang */
export function formatDay(day, lang) {
  const d = new Date(`${day}T00:00:00Z`);
  return new Intl.DateTimeFormat(lang === "ru" ? "ru-RU" : "en-GB", {
    timeZone: "UTC",
    day: "numeric",
    month: "short",
    year: "numeric",
  }).format(d);
}
