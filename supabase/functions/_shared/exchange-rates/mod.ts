/**
 * Official exchange rates from the National Bank of Kazakhstan: the client, the feed parser and
 * the typed errors.
 *
 * @module
 */
export * from "./client.ts";
export * from "./errors.ts";
export { type NbkRate, type NbkRates, parseNbkDate, parseNbkRates, toNbkDate } from "./parse.ts";
export { divideDecimal, normalizeFeedDecimal } from "../decimal.ts";
