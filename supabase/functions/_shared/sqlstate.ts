/**
 * SQLSTATEs our SQL raises on purpose, so callers recognise a condition by its code, never by the
 * wording of its message.
 *
 * @module
 */

/** `private.traffic_missing_rate()`: a day with spend has no exchange rate (class TS: ours). */
export const MISSING_EXCHANGE_RATE = "TS001";

/** `invalid_parameter_value`: bad arguments, e.g. a range `private.traffic_check_range` refuses. */
export const INVALID_PARAMETER_VALUE = "22023";

/** Whether a database error (PostgREST's `code`) is a missing exchange rate. */
export function isMissingExchangeRate(error: { code?: string } | null | undefined): boolean {
  return error?.code === MISSING_EXCHANGE_RATE;
}
