/**
 * The data routes' response cache: a body computed for one access token is served again to the
 * same token while nothing it was computed from has changed, for at most {@link MAX_AGE_MS}.
 *
 * Per request that is ONE small database call as the caller, `traffic_api_changed_since(snapshot)`
 * (migration `20261207004700`): every transaction that writes a table the data routes read leaves
 * its id in `private.traffic_api_changes`, and a body remembers the snapshot taken just before it
 * was computed; the body is current while no change lies outside that snapshot. On a change, a
 * miss or an old entry the route runs as before (same queries, same RLS) and its answer replaces
 * the entry.
 *
 * No caller can read another's body: the key starts with the request's verified bearer token
 * (what PostgREST and RLS decided visibility from), then the route, the query string and today's
 * date in TRAFFIC_TIMEZONE (periods like `7d` move at midnight). Only 200 answers are kept, up to
 * {@link MAX_BYTES} in all (least recently used dropped first).
 *
 * @module
 */
import { bearerToken } from "../_shared/auth.ts";
import { sameCaller } from "./caller.ts";
import { callerOf, unwrap } from "./db.ts";
import type { Deps, RouteHandler } from "./context.ts";
import { localDate } from "./dates.ts";
import { ifNoneMatchHits } from "./etag.ts";

/** A body is recomputed after this long even when no change was recorded (a safety cap). */
export const MAX_AGE_MS = 60_000;
/** Bytes of bodies kept per handler (an admin's /metrics over 1,000 teams is ~2.7 MB). */
export const MAX_BYTES = 64 * 1024 * 1024;

interface Entry {
  /** `pg_current_snapshot()` taken before the body was computed. */
  snapshot: string;
  /** UTF-8, encoded once (an admin's /metrics is megabytes: not re-encoded per answer). */
  body: Uint8Array<ArrayBuffer>;
  headers: [string, string][];
  etag: string | null;
  at: number;
}

interface Store {
  entries: Map<string, Entry>;
  bytes: number;
}

const stores = new WeakMap<Deps, Store>();

function storeOf(deps: Deps): Store {
  let s = stores.get(deps);
  if (!s) stores.set(deps, s = { entries: new Map(), bytes: 0 });
  return s;
}

function drop(s: Store, key: string): void {
  const e = s.entries.get(key);
  if (!e) return;
  s.entries.delete(key);
  s.bytes -= e.body.byteLength;
}

function put(s: Store, key: string, e: Entry): void {
  drop(s, key);
  if (e.body.byteLength > MAX_BYTES / 4) return;
  s.entries.set(key, e);
  s.bytes += e.body.byteLength;
  while (s.bytes > MAX_BYTES) drop(s, s.entries.keys().next().value!);
}

/** The answer to `req` from a kept entry: 304 when `If-None-Match` names its tag. */
function serve(req: Request, e: Entry): Response {
  const headers = new Headers(e.headers);
  if (e.etag && ifNoneMatchHits(req.headers.get("if-none-match"), e.etag)) {
    headers.delete("content-type");
    return new Response(null, { status: 304, headers });
  }
  return new Response(e.body, { status: 200, headers });
}

/** Wraps a data route with the cache (a no-op when TRAFFIC_API_RESPONSE_CACHE is off). */
export function cached(route: string, handler: RouteHandler): RouteHandler {
  return async (ctx) => {
    const { req, url, deps } = ctx;
    if (deps.config.TRAFFIC_API_RESPONSE_CACHE === "off") return await handler(ctx);
    const caller = callerOf(req, deps);
    const now = deps.now?.() ?? new Date();
    const params = [...url.searchParams].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const key = [
      bearerToken(req),
      route,
      new URLSearchParams(params).toString(),
      localDate(now, deps.config.TRAFFIC_TIMEZONE),
    ].join("\u0000");
    const s = storeOf(deps);
    let entry = s.entries.get(key);
    if (entry && now.getTime() - entry.at >= MAX_AGE_MS) {
      drop(s, key);
      entry = undefined;
    }
    const check = unwrap(
      await caller.db.rpc("traffic_api_changed_since", { p_snapshot: entry?.snapshot ?? null }),
    ) as { changed: boolean; snapshot: string };
    if (entry && !check.changed) {
      put(s, key, entry); // most recently used
      return serve(req, entry);
    }
    // Computed without the caller's validators: a revalidating browser (If-None-Match, every
    // request after max-age) would otherwise get a 304 that leaves nothing to keep, and every
    // later request would compute the body again. The kept 200 then answers this request too.
    const res = await handler({ ...ctx, req: unconditional(req) });
    if (res.status !== 200) {
      drop(s, key);
      return res;
    }
    const fresh: Entry = {
      snapshot: check.snapshot,
      body: new Uint8Array(await res.arrayBuffer()),
      headers: [...res.headers],
      etag: res.headers.get("etag"),
      at: now.getTime(),
    };
    put(s, key, fresh);
    return serve(req, fresh);
  };
}

/** `req` without its conditional headers (the cache decides a 304 from the kept entry). */
function unconditional(req: Request): Request {
  if (!req.headers.has("if-none-match") && !req.headers.has("if-modified-since")) return req;
  const headers = new Headers(req.headers);
  headers.delete("if-none-match");
  headers.delete("if-modified-since");
  return sameCaller(req, headers);
}
