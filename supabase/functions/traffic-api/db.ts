/**
 * The per-request database client. Every read and write goes through supabase-js with the
 * caller's own JWT (forwarded `Authorization`) and the anon key, so PostgREST runs the query as
 * that user and RLS decides what it sees. The service key is never used here.
 *
 * @module
 */
import type { SupabaseClient, z } from "../_shared/deps.ts";
import { HttpError } from "../_shared/http.ts";
import { createUserClient } from "../_shared/supabase.ts";
import { INVALID_PARAMETER_VALUE, isMissingExchangeRate } from "../_shared/sqlstate.ts";
import type { DbError } from "../_shared/store.ts";
import { clientKeyOf } from "./config.ts";
import type { Deps, RouteContext } from "./context.ts";
import { parseQuery } from "./validation.ts";

// The caller's verification lives in caller.ts; re-exported for the routes.
export { type Caller, callerOf } from "./caller.ts";
import { type Caller, callerOf } from "./caller.ts";

/** Clients kept per token, per deps (tests bring their own fetch), oldest dropped first. */
const clients = new WeakMap<Deps, Map<string, SupabaseClient>>();
const MAX_CLIENTS = 256;

/**
 * The supabase-js client acting as the holder of `token`. Building one costs more than the rest
 * of a small request's own work (auth, realtime, storage sub-clients), and a dashboard sends the
 * same token for an hour, so clients are reused per token. A client holds nothing but its
 * headers (no session, no refresh), so reuse cannot carry one caller's state to another.
 */
export function userDb(deps: Deps, token: string): SupabaseClient {
  let byToken = clients.get(deps);
  if (!byToken) clients.set(deps, byToken = new Map());
  let db = byToken.get(token);
  if (db) {
    byToken.delete(token);
  } else {
    db = createUserClient(
      deps.config.SUPABASE_URL,
      clientKeyOf(deps.config),
      token,
      deps.fetch,
    );
    if (byToken.size >= MAX_CLIENTS) byToken.delete(byToken.keys().next().value!);
  }
  byToken.set(token, db);
  return db;
}

/** Per deps: the PostgREST URL and each token's request headers (built once, not per call). */
const restGets = new WeakMap<
  Deps,
  { base: string; headers: Map<string, Record<string, string>> }
>();

/**
 * `GET <SUPABASE_URL>/rest/v1/<path>` as the holder of `token` — the request supabase-js sends
 * for a GET (the caller's JWT as bearer, the client key as `apikey`, the `public` profile; not its
 * informational `x-client-info`), built without it: for the response cache's check, the one call
 * a revalidating request makes, where supabase-js's query builder, its per-call auth-session
 * lookup and its copy of the headers cost the function more CPU than the rest of its own work
 * (camp's eighth-session section of docs/benchmarks.md). `extraHeaders` are sent beside them. Its
 * answer's JSON, or the failure mapped as {@link unwrap} maps it ({@link dbFailure}).
 */
export async function restGet<T>(
  deps: Deps,
  token: string,
  path: string,
  extraHeaders?: Record<string, string>,
): Promise<T> {
  let r = restGets.get(deps);
  if (!r) {
    restGets.set(
      deps,
      r = { base: `${deps.config.SUPABASE_URL.replace(/\/+$/, "")}/rest/v1/`, headers: new Map() },
    );
  }
  let headers = r.headers.get(token);
  if (!headers) {
    if (r.headers.size >= MAX_CLIENTS) r.headers.delete(r.headers.keys().next().value!);
    headers = {
      "accept-profile": "public",
      "apikey": clientKeyOf(deps.config),
      "authorization": `Bearer ${token}`,
    };
    r.headers.set(token, headers);
  }
  const res = await deps.fetch(r.base + path, {
    headers: extraHeaders ? { ...headers, ...extraHeaders } : headers,
  });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text === "" ? null : JSON.parse(text);
  } catch {
    if (res.ok) throw new Error(`PostgREST ${res.status}: an answer that is not JSON`);
  }
  if (!res.ok) {
    const e = (body && typeof body === "object" ? body : {}) as DbError;
    throw dbFailure({ code: e.code, message: e.message ?? (text || res.statusText) }, res.status);
  }
  return body as T;
}

/**
 * A non-admin may filter only by their own id: another user's id is a 403 (RLS would answer
 * with nothing, which would read as "no data" rather than "not allowed").
 */
export function checkUserFilter(caller: Caller, userId: string | undefined): void {
  if (
    userId !== undefined && !caller.isAdmin && userId.toLowerCase() !== caller.userId.toLowerCase()
  ) {
    throw new HttpError(403, "forbidden", "Only an admin may read another targetologist's data.");
  }
}

/**
 * The start of every read route: the verified caller and the query parsed with `schema`, where a
 * non-admin may name only their own `user_id` (checkUserFilter).
 */
export function callerAndQuery<S extends z.ZodType<{ user_id?: string }>>(
  { req, url, deps }: RouteContext,
  schema: S,
): { caller: Caller; q: z.output<S> } {
  const caller = callerOf(req, deps);
  const q = parseQuery(url, schema);
  checkUserFilter(caller, q.user_id);
  return { caller, q };
}

/** Turns a PostgREST error into the caller's answer; anything unexpected becomes a 500. */
export function dbFailure(error: DbError, status: number): Error {
  const code = error.code ?? "";
  if (status === 401 || code.startsWith("PGRST30")) {
    return new HttpError(401, "unauthorized", "The access token was rejected.");
  }
  if (code === "42501" || status === 403) {
    return new HttpError(403, "forbidden", "Not allowed.");
  }
  // A date range the SQL functions refuse (private.traffic_check_range: over 366 days or outside
  // 2000..2099): the caller's input, answered 400 with the function's own message.
  if (code === INVALID_PARAMETER_VALUE || status === 400 && code.startsWith("22")) {
    return new HttpError(400, "invalid_range", error.message ?? "Invalid date range.");
  }
  if (code === "57014") {
    return new HttpError(503, "timeout", "The query took too long; try a shorter range.");
  }
  // private.traffic_missing_rate(): a day with spend has no exchange rate yet. The aggregation
  // fetches it on its next run; until then no number is better than a wrong one.
  if (isMissingExchangeRate(error)) {
    return new HttpError(
      503,
      "exchange_rate_missing",
      "An exchange rate needed for this range is not available yet; try again later.",
    );
  }
  return new Error(`PostgREST ${status} ${code}: ${error.message ?? "unknown error"}`);
}

/**
 * Unwraps a supabase-js result read with the caller's JWT: its data, or the failure mapped to the
 * caller's answer (`dbFailure`). The service-key writers use `_shared/store.ts`' `unwrap`, which
 * throws a `StoreError` for their logs instead.
 */
export function unwrap<T>(
  result: { data: T | null; error: DbError | null; status: number },
): T {
  if (result.error) throw dbFailure(result.error, result.status);
  return result.data as T;
}

/**
 * What a route's one-call SQL function answers (`traffic_api_daily_answer`,
 * `traffic_api_campaigns_answer`): the snapshot its rows were read in, and the rows already
 * serialised as JSON array elements (each as PostgREST serialises a row), joined by commas.
 */
export interface Answer {
  snapshot: string;
  data: string;
}

/**
 * `JSON.stringify({ ...head, data: rows })` where `data` is the rows' serialised text (an
 * {@link Answer}'s): the body is assembled, not re-serialised. `head`'s values are the request's
 * own (strings, numbers, null).
 */
export function withData(head: Record<string, unknown>, data: string): string {
  const text = JSON.stringify(head);
  return `${text.slice(0, -1)}${text.length > 2 ? "," : ""}"data":[${data}]}`;
}
