/**
 * Exact decimal strings for money and rates, never through a float: one canonical form
 * ({@link normalizeDecimal}: Graph API spend, the rates feed) and division by a small integer
 * ({@link divideDecimal}: a rate quoted per 100 units).
 *
 * @example
 * ```ts
 * divideDecimal("3.96", 100); // "0.0396"
 * divideDecimal("470.15", 1); // "470.15"
 * ```
 *
 * @module
 */

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;
/** A decimal already in canonical form (what Meta sends, nearly always): returned as it is. */
const CANONICAL = /^(?:0|[1-9]\d*)(?:\.\d*[1-9])?$/;

/**
 * Canonical form of a non-negative decimal string: no leading zeros in the integer part, no
 * trailing zeros in the fraction (`"007.50"` → `"7.5"`, `"14.00"` → `"14"`). `null` when `text`
 * is not a plain decimal (signs, exponents, spaces, commas and empty strings are rejected).
 */
export function normalizeDecimal(text: string): string | null {
  if (CANONICAL.test(text)) return text;
  const m = DECIMAL.exec(text);
  if (!m) return null;
  const int = m[1].replace(/^0+(?=\d)/, "");
  const frac = (m[2] ?? "").replace(/0+$/, "");
  return frac ? `${int}.${frac}` : int;
}

/**
 * A feed's number: {@link normalizeDecimal} of `s` trimmed, with a decimal comma read as a point
 * (`"545,180"` → `"545.18"`); null when it is not a non-negative decimal.
 */
export function normalizeFeedDecimal(s: string): string | null {
  return normalizeDecimal(s.trim().replace(",", "."));
}

function toScaled(s: string): { digits: bigint; scale: number } {
  const norm = normalizeFeedDecimal(s);
  if (norm === null) throw new RangeError(`not a decimal number: ${JSON.stringify(s)}`);
  const [int, frac = ""] = norm.split(".");
  return { digits: BigInt(int + frac), scale: frac.length };
}

function fromScaled(digits: bigint, scale: number): string {
  const s = digits.toString().padStart(scale + 1, "0");
  const int = s.slice(0, s.length - scale);
  const frac = s.slice(s.length - scale).replace(/0+$/, "");
  return frac ? `${int}.${frac}` : int;
}

/**
 * `value / divisor` as a decimal string. Exact whenever the quotient terminates (every divisor
 * made of 2s and 5s, such as the 1, 10, 100, 1000 a central bank quotes per); otherwise rounded
 * half-up at `maxScale` fractional digits (default 20).
 */
export function divideDecimal(value: string, divisor: number | bigint, maxScale = 20): string {
  const d = BigInt(divisor);
  if (d <= 0n) throw new RangeError("divisor must be a positive integer");
  const { digits, scale } = toScaled(value);
  const target = Math.max(maxScale, scale);
  // The smallest k with divisor | digits * 10^k, when the quotient terminates by `target` digits.
  for (let k = 0; scale + k <= target; k++) {
    const n = digits * 10n ** BigInt(k);
    if (n % d === 0n) return fromScaled(n / d, scale + k);
  }
  const q = (digits * 10n ** BigInt(target - scale + 1)) / d;
  return fromScaled((q + 5n) / 10n, target);
}
