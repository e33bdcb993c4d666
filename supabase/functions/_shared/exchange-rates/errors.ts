/**
 * The few ways fetching official rates fails, as types callers branch on.
 *
 * - {@link ExchangeRatesUnavailableError}: the source could not be reached or answered 5xx/429
 *   after every retry, or the deadline passed. Retrying later may work; use the last known rates.
 * - {@link ExchangeRatesResponseError}: the source answered, but not with what we can use (a 4xx,
 *   or a body that is not the rates feed). Retrying will not help.
 *
 * @module
 */

/** Base class of every exchange-rates error. */
export class ExchangeRatesError extends Error {
  constructor(message: string, readonly attempts: number, options?: ErrorOptions) {
    super(message, options);
    this.name = "ExchangeRatesError";
  }
}

/** The source is down, slow or overloaded (network error, timeout, 5xx, 429, deadline). */
export class ExchangeRatesUnavailableError extends ExchangeRatesError {
  constructor(message: string, attempts: number, readonly status?: number, options?: ErrorOptions) {
    super(message, attempts, options);
    this.name = "ExchangeRatesUnavailableError";
  }
}

/** The source answered with something unusable (4xx, not the rates feed). Not retried. */
export class ExchangeRatesResponseError extends ExchangeRatesError {
  constructor(message: string, attempts: number, readonly status?: number, options?: ErrorOptions) {
    super(message, attempts, options);
    this.name = "ExchangeRatesResponseError";
  }
}
