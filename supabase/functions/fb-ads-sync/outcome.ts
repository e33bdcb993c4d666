/**
 * What a run did, per account and per user, and how that becomes the history row and the answer:
 * `success` is false when any user or account failed, and also when a user was `skipped` because
 * another run holds its lease (this run wrote nothing for that user, so it did not succeed for
 * them). A warning or a deferral is not a failure. `error_message` then says who failed or was
 * skipped and why in one readable line; the run's `outcome` is `ok`, `partial`, `failed` or
 * `busy` (every user skipped).
 *
 * @module
 */

/** How one ad account ended. */
export type AccountOutcomeKind =
  | "ok" // every page fetched and written
  | "object_missing" // Meta: the account or a campaign does not exist (warning)
  | "deferred" // throttled or out of time: the next run picks it up
  | "permission" // the token may not read this account
  | "token_invalid" // Meta rejected the token
  | "failed" // anything else (retries exhausted, bad data, database error)
  | "skipped"; // not attempted: the user's token was rejected on another account

/** How one user ended. */
export type UserOutcomeKind =
  | "ok"
  | "deferred" // nothing failed, but at least one account waits for the next run
  | "partial" // some accounts failed, others synced
  | "failed" // every attempted account failed
  | "token_invalid" // Meta rejected the token (or it was marked invalid earlier)
  | "no_token" // neither the user nor FACEBOOK_ADS_TOKEN has a token
  | "skipped"; // another run holds this user's lock

export interface AccountOutcome {
  account_id: string;
  outcome: AccountOutcomeKind;
  /** Distinct (ad, day) rows received and written. */
  rows: number;
  /** Rows the database inserted or changed (0 when the data was already there). */
  changed: number;
  api_calls: number;
  pages: number;
  retries: number;
  waited_ms: number;
  warning?: string;
  error?: string;
  /** Meta's "regain access" hint when deferred. */
  retry_after_ms?: number;
}

export interface UserOutcome {
  user_id: string;
  team_name: string;
  outcome: UserOutcomeKind;
  token_source: "user" | "fallback" | null;
  rows: number;
  changed: number;
  api_calls: number;
  accounts: AccountOutcome[];
  warnings: string[];
  errors: string[];
}

const FAILED_ACCOUNT = new Set<AccountOutcomeKind>(["permission", "token_invalid", "failed"]);
const FAILED_USER = new Set<UserOutcomeKind>(["partial", "failed", "token_invalid", "no_token"]);

/** A zeroed account outcome. */
export function accountOutcome(
  account_id: string,
  outcome: AccountOutcomeKind,
  extra: Partial<AccountOutcome> = {},
): AccountOutcome {
  return {
    account_id,
    outcome,
    rows: 0,
    changed: 0,
    api_calls: 0,
    pages: 0,
    retries: 0,
    waited_ms: 0,
    ...extra,
  };
}

/** The user's outcome from its accounts' (when the user got as far as its accounts). */
export function userOutcomeKind(accounts: AccountOutcome[]): UserOutcomeKind {
  if (accounts.some((a) => a.outcome === "token_invalid")) return "token_invalid";
  const failed = accounts.filter((a) => FAILED_ACCOUNT.has(a.outcome)).length;
  const synced = accounts.filter((a) => a.outcome === "ok" || a.outcome === "object_missing")
    .length;
  if (failed > 0) return synced > 0 ? "partial" : "failed";
  return accounts.some((a) => a.outcome === "deferred") ? "deferred" : "ok";
}

/** A user outcome with totals and the warnings and errors collected from its accounts. */
export function userOutcome(
  base: Pick<UserOutcome, "user_id" | "team_name" | "token_source">,
  accounts: AccountOutcome[],
  kind: UserOutcomeKind = userOutcomeKind(accounts),
  extraErrors: string[] = [],
): UserOutcome {
  const sum = (k: "rows" | "changed" | "api_calls") => accounts.reduce((n, a) => n + a[k], 0);
  return {
    ...base,
    outcome: kind,
    rows: sum("rows"),
    changed: sum("changed"),
    api_calls: sum("api_calls"),
    accounts,
    warnings: accounts.flatMap((a) => (a.warning ? [`act_${a.account_id}: ${a.warning}`] : [])),
    errors: [
      ...extraErrors,
      ...accounts.flatMap((a) => (a.error ? [`act_${a.account_id}: ${a.error}`] : [])),
    ],
  };
}

/** How a whole run ended. */
export type RunOutcomeKind = "ok" | "partial" | "failed" | "busy";

/** Totals of a run over its users. */
export interface RunTotals {
  success: boolean;
  users_processed: number;
  records_synced: number;
  rows_changed: number;
  api_calls: number;
  error_message: string | null;
}

/** The run's outcome: `busy` when every user was skipped, `failed` when none synced. */
export function runOutcome(users: UserOutcome[]): RunOutcomeKind {
  const skipped = users.filter((u) => u.outcome === "skipped").length;
  const failed = users.filter((u) => FAILED_USER.has(u.outcome)).length;
  if (users.length > 0 && skipped === users.length) return "busy";
  if (failed === 0 && skipped === 0) return "ok";
  return failed + skipped === users.length ? "failed" : "partial";
}

/** Sums the users and writes the one-line error message (at most `max` characters). */
export function runTotals(users: UserOutcome[], max = 2000): RunTotals {
  const failed = users.filter((u) => FAILED_USER.has(u.outcome));
  const skipped = users.filter((u) => u.outcome === "skipped");
  const line = (u: UserOutcome, notes: string[]) =>
    `${u.team_name} (${u.user_id.slice(0, 8)}): ${u.outcome}${
      notes.length ? ` - ${notes.join("; ")}` : ""
    }`;
  const messages = [
    failed.length
      ? `${failed.length} of ${users.length} user(s) failed: ${
        failed.map((u) => line(u, u.errors)).join(" | ")
      }`
      : "",
    skipped.length
      ? `${skipped.length} of ${users.length} user(s) skipped, nothing synced for them: ${
        skipped.map((u) => line(u, u.warnings)).join(" | ")
      }`
      : "",
  ].filter(Boolean);
  let message = messages.length ? messages.join("; ") : null;
  if (message && message.length > max) message = `${message.slice(0, max - 1)}…`;
  return {
    success: failed.length === 0 && skipped.length === 0,
    users_processed: users.filter((u) => u.outcome !== "skipped").length,
    records_synced: users.reduce((n, u) => n + u.rows, 0),
    rows_changed: users.reduce((n, u) => n + u.changed, 0),
    api_calls: users.reduce((n, u) => n + u.api_calls, 0),
    error_message: message,
  };
}
