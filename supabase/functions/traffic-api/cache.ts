/**
 * The data routes' response cache: a body computed for one access token is served again to the
 * same token while nothing it was computed from has changed, for at most {@link MAX_AGE_MS}.
 *
 * Per request that is ONE small database call as the caller, `traffic_api_check(snapshot)`
 * (migrations `20261207114917`, `20261208030500`, `20261208042200`): every transaction that writes a table the data
 * routes read leaves its id in `private.traffic_api_changes` (with the teams whose rows it wrote,
 * or as a global write), and a body remembers the snapshot taken just before it was computed; the
 * body is current while no change the caller's answers read lies outside that snapshot (a
 * targetologist: their own team's or a global one; an admin: any). On a change, a miss or an old
 * entry the route runs as before (same queries, same RLS) and its answer replaces the entry.
 *
 * Within TRAFFIC_API_CACHE_FRESH_MS (default 1 s) of a check that found the body
 * current, the same key is answered from memory without asking again: under load a token's
 * repeats cost one check per second instead of one per request. So an answer may miss a write
 * committed less than that window before it; a request with `Cache-Control: no-cache` or
 * `max-age=0` (a browser's reload) always checks. Concurrent requests of one key share one check
 * (and one computation).
 *
 * No caller can read another's body: the key starts with the request's verified bearer token
 * (what PostgREST and RLS decided visibility from), then the route, the query string and today's
 * date in TRAFFIC_TIMEZONE (periods like `7d` move at midnight). Only 200 answers are kept, up to
 * {@link MAX_BYTES} in all (least recently used dropped first).
 *
 * @module
 */
import { deflateSync } from "node:zlib";
import { sameCaller, verifiedToken } from "./caller.ts";
import { type Answer, restGet, withData } from "./db.ts";
import type { Deps, RouteHandler } from "./context.ts";
import { localDate } from "./dates.ts";
import { conditionalText, etagOf, ifNoneMatchHits } from "./etag.ts";

/** A body is recomputed after this long even when no change was recorded (a safety cap). */
export const MAX_AGE_MS = 60_000;
/**
 * Bytes of bodies kept per handler, as they lie in memory (an admin's /metrics over 1,000 teams
 * is ~2.7 MB): see {@link heapBytes}.
 */
export const MAX_BYTES = 64 * 1024 * 1024;

/**
 * What a kept body costs in memory: V8 keeps a string whose characters are all Latin-1 at one
 * byte each, any other (a Cyrillic team name) at two bytes each. Counted once per computed body.
 */
export function heapBytes(body: string): number {
  return body.length * (/[\u0100-\uffff]/.test(body) ? 2 : 1);
}

interface Entry {
  /** `pg_current_snapshot()` taken before the body was computed. */
  snapshot: string;
  /**
   * The body as a string: Deno writes a string body from the string itself, where a byte body is
   * first copied (the Fetch spec copies a BufferSource given to `new Response`): for the admin's
   * 146 kB /metrics 33-39 us of the function's CPU per answer against 78-85 (camp's
   * eighth-session section of docs/benchmarks.md), and no 146 kB allocation to collect.
   */
  body: string;
  /** {@link heapBytes} of the body. */
  bytes: number;
  headers: [string, string][];
  /** When the body was computed (dropped {@link MAX_AGE_MS} later). */
  at: number;
  /** When the last check that found it current was sent (served unchecked until then + TRAFFIC_API_CACHE_FRESH_MS). */
  checkedAt: number;
  /** The deflate representation, made by the first request that accepts it ({@link deflated}). */
  deflated?: Promise<Representation>;
}

/** One encoding of a kept body: what is sent, and the headers of its 200. */
interface Representation {
  body: string | Uint8Array<ArrayBuffer>;
  headers: [string, string][];
}

interface Store {
  entries: Map<string, Entry>;
  bytes: number;
  /** The check (and computation) in flight per key: concurrent repeats wait for it. */
  flights: Map<string, { result: Promise<Entry | null>; sentAt: number }>;
}

const stores = new WeakMap<Deps, Store>();

function storeOf(deps: Deps): Store {
  let s = stores.get(deps);
  if (!s) stores.set(deps, s = { entries: new Map(), bytes: 0, flights: new Map() });
  return s;
}

function drop(s: Store, key: string): void {
  const e = s.entries.get(key);
  if (!e) return;
  s.entries.delete(key);
  s.bytes -= e.bytes;
}

/** Drops the least recently used entries until the store is within {@link MAX_BYTES}. */
function trim(s: Store): void {
  while (s.bytes > MAX_BYTES) drop(s, s.entries.keys().next().value!);
}

function put(s: Store, key: string, e: Entry): void {
  drop(s, key);
  if (e.bytes > MAX_BYTES / 4) return;
  s.entries.set(key, e);
  s.bytes += e.bytes;
  trim(s);
}

/**
 * A kept body of at least this many characters is sent deflate-encoded to a request that accepts
 * `deflate` (RFC 9110 12.5.3; zlib format, RFC 1950): an admin's /metrics page of 50 teams,
 * 146 kB, is ~3 kB (zlib's default level, ~0.2 ms once per computed body, at the first request
 * that accepts it). Smaller bodies are sent as they are. Why `deflate` and not `gzip`: every
 * browser asks for both (Chromium: `gzip, deflate, br, zstd`; tests/browser), the same
 * compression in a lighter frame (Adler-32, not CRC-32), and Deno's `fetch` decodes a gzip or br
 * answer by itself but passes deflate on as it is, so a Deno hop between the client and the
 * function (the local stack's gateway, scripts/stack/gateway-forward.ts) forwards the encoded
 * bytes instead of inflating every answer.
 */
export const DEFLATE_MIN_CHARS = 1024;

/**
 * True when `Accept-Encoding` accepts `deflate`: named with a q-value above 0, or not named and
 * `*` accepted. No header: the body as it is (what a client that names no coding expects).
 */
export function acceptsDeflate(header: string | null): boolean {
  if (!header) return false;
  let star = false;
  for (const part of header.split(",")) {
    const [coding, ...params] = part.split(";");
    const name = coding.trim().toLowerCase();
    if (name !== "deflate" && name !== "*") continue;
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p);
      if (m) q = Number(m[1]);
    }
    if (name === "deflate") return q > 0;
    star = q > 0;
  }
  return star;
}

/** `vary` of a kept body's headers with `Accept-Encoding` added (its answer depends on it). */
function varyingByEncoding(headers: [string, string][]): [string, string][] {
  const out = headers.filter(([k]) => k !== "vary");
  const vary = headers.find(([k]) => k === "vary")?.[1];
  out.push(["vary", vary ? `${vary}, Accept-Encoding` : "Accept-Encoding"]);
  return out;
}

/**
 * The deflate representation of `e`, made once: the body's UTF-8 bytes compressed (zlib format,
 * RFC 1950, as `Content-Encoding: deflate` means), with its own strong ETag (the SHA-256 of the
 * bytes sent, as every tag here), `Content-Encoding: deflate` and the body's other headers. Its
 * bytes count to the store's cap while the entry is kept under `key`.
 */
function deflated(s: Store, key: string, e: Entry): Promise<Representation> {
  e.deflated ??= (async () => {
    const bytes = new Uint8Array(deflateSync(new TextEncoder().encode(e.body)));
    const etag = await etagOf(bytes);
    const headers = e.headers.map(([k, v]): [string, string] => [k, k === "etag" ? etag : v]);
    headers.push(["content-encoding", "deflate"]);
    e.bytes += bytes.length;
    if (s.entries.get(key) === e) {
      s.bytes += bytes.length;
      trim(s);
    }
    return { body: bytes, headers };
  })();
  return e.deflated;
}

/**
 * The answer to `req` from a kept entry, deflate-encoded when the request accepts it and the body
 * is at least {@link DEFLATE_MIN_CHARS}: 304 when `If-None-Match` names the tag of the
 * representation chosen.
 */
async function serve(req: Request, s: Store, key: string, e: Entry): Promise<Response> {
  const r = e.body.length >= DEFLATE_MIN_CHARS && acceptsDeflate(req.headers.get("accept-encoding"))
    ? await deflated(s, key, e)
    : e;
  const headers = new Headers(r.headers);
  const etag = headers.get("etag");
  if (etag && ifNoneMatchHits(req.headers.get("if-none-match"), etag)) {
    headers.delete("content-type");
    headers.delete("content-encoding");
    return new Response(null, { status: 304, headers });
  }
  return new Response(r.body, { status: 200, headers });
}

/** The snapshot an answer was read in, when its route's one SQL call returned it. */
const answeredSnapshots = new WeakMap<Response, string>();

/**
 * Marks `res` as read in `snapshot` (`pg_current_snapshot()` of the statement that read its
 * rows): the cache keeps it checked against that snapshot, so a route that reports it needs no
 * separate `traffic_api_check` call for its first answer (a miss is one call).
 */
function answeredIn(snapshot: string, res: Response): Response {
  answeredSnapshots.set(res, snapshot);
  return res;
}

/**
 * The response of a route whose one SQL call answered `answer` (the rows serialised, and the
 * snapshot they were read in): `head` with the rows as `data` (db.ts withData), conditional on
 * `If-None-Match`, marked {@link answeredIn} that snapshot.
 */
export async function answerResponse(
  req: Request,
  head: Record<string, unknown>,
  answer: Answer,
): Promise<Response> {
  return answeredIn(answer.snapshot, await conditionalText(req, withData(head, answer.data)));
}

/** True when the request asks for a revalidated answer (`no-cache`, `max-age=0`). */
function wantsRevalidation(req: Request): boolean {
  const cc = req.headers.get("cache-control")?.toLowerCase() ?? "";
  return /(^|,)\s*(no-cache|max-age\s*=\s*0)\s*(,|$)/.test(cc) ||
    /no-cache/i.test(req.headers.get("pragma") ?? "");
}

/**
 * `traffic_api_check` as the caller: a GET without arguments (the function is stable), the
 * snapshot in the request header `x-traffic-snapshot`, which the function reads as its default
 * argument (migration 20261208042200: PostgREST then calls it without the JSON payload it makes of
 * a query-string argument); none: only the current snapshot is wanted. Sent with db.ts `restGet`,
 * not supabase-js: it is the one call of every revalidating request. The function returns one row
 * (plain SQL returning rows, so that PostgreSQL inlines it into PostgREST's statement: migration
 * 20261208030500), which PostgREST answers as a one-element array; anything else is a failure,
 * never "unchanged".
 */
async function changedSince(
  deps: Deps,
  token: string,
  snapshot: string | null,
): Promise<{ changed: boolean; snapshot: string }> {
  const rows = await restGet<unknown>(
    deps,
    token,
    "rpc/traffic_api_check",
    snapshot === null ? undefined : { "x-traffic-snapshot": snapshot },
  );
  const row = Array.isArray(rows) && rows.length === 1 ? rows[0] : null;
  if (
    !row || typeof row !== "object" || typeof row.changed !== "boolean" ||
    typeof row.snapshot !== "string"
  ) {
    throw new Error("traffic_api_check: an answer that is not one {changed, snapshot} row");
  }
  return row;
}

/** Wraps a data route with the cache (a no-op when TRAFFIC_API_RESPONSE_CACHE is off). */
export function cached(
  route: string,
  handler: RouteHandler,
  opts: { answersSnapshot?: boolean } = {},
): RouteHandler {
  const answersSnapshot = opts.answersSnapshot ?? false;
  return async (ctx) => {
    const { req, url, deps } = ctx;
    if (deps.config.TRAFFIC_API_RESPONSE_CACHE === "off") return await handler(ctx);
    const token = verifiedToken(req);
    const clock = () => (deps.now?.() ?? new Date()).getTime();
    const now = clock();
    // The query string as sent (`url.search`): the same text parses to the same parameters, so
    // it names one answer; the same parameters in another order or encoding are another entry
    // (a miss, never another answer). A dashboard sends its queries in one form.
    const key = `${token}\u0000${route}\u0000${url.search}\u0000${
      localDate(now, deps.config.TRAFFIC_TIMEZONE)
    }`;
    const s = storeOf(deps);
    let entry = s.entries.get(key);
    if (entry && now - entry.at >= MAX_AGE_MS) {
      drop(s, key);
      entry = undefined;
    }
    const revalidate = wantsRevalidation(req);
    const fresh = deps.config.TRAFFIC_API_CACHE_FRESH_MS;
    if (entry && !revalidate && now - entry.checkedAt < fresh) {
      put(s, key, entry); // most recently used
      return await serve(req, s, key, entry);
    }
    // One check (and computation) per key at a time: a request that finds one in flight that
    // was sent within the fresh window waits for it and is answered from its result (one that
    // asked to revalidate checks on its own).
    const flight = revalidate ? undefined : s.flights.get(key);
    if (flight && now - flight.sentAt < fresh) {
      const shared = await flight.result.catch(() => null);
      if (shared) return await serve(req, s, key, shared);
    }
    let res: Response | null = null;
    const sentAt = clock();
    const mine = (async (): Promise<Entry | null> => {
      // The check is a GET (the function is stable): PostgREST reads the argument from the query
      // string, with no request body to send, forward and parse. With nothing kept there is
      // nothing to check: the route computes at once.
      const check = entry ? await changedSince(deps, token, entry.snapshot) : null;
      if (entry && check && !check.changed) {
        // Only if it is still the kept one: a revalidating request may have stored a newer body
        // meanwhile, which must not be replaced by this older one.
        const kept = s.entries.get(key);
        if (kept !== entry) return kept ?? entry;
        entry.checkedAt = sentAt;
        put(s, key, entry); // most recently used
        return entry;
      }
      // Computed without the caller's validators: a revalidating browser (If-None-Match, every
      // request after max-age) would otherwise get a 304 that leaves nothing to keep, and every
      // later request would compute the body again. The kept 200 then answers this request too.
      // The snapshot the body is kept against is taken before its rows are read (by the check,
      // or by the check's call without an argument), or in the same statement as they are (a
      // route whose one SQL call reports it, answeredIn: then a miss is one call), never after
      // them: a later check finds every write the body may have missed.
      const before = check?.snapshot ??
        (answersSnapshot ? null : (await changedSince(deps, token, null)).snapshot);
      res = await handler({ ...ctx, req: unconditional(req) });
      const snapshot = answeredSnapshots.get(res) ?? before;
      if (res.status !== 200 || snapshot === null) {
        drop(s, key);
        return null;
      }
      const body = await res.text();
      const headers: [string, string][] = [...res.headers];
      const computed: Entry = {
        snapshot,
        body,
        bytes: heapBytes(body),
        headers: body.length >= DEFLATE_MIN_CHARS ? varyingByEncoding(headers) : headers,
        at: sentAt,
        checkedAt: sentAt,
      };
      put(s, key, computed);
      return computed;
    })();
    const flightOfMine = { result: mine, sentAt };
    if (!revalidate) s.flights.set(key, flightOfMine);
    try {
      const result = await mine;
      if (result) return await serve(req, s, key, result);
      return res!;
    } finally {
      if (s.flights.get(key) === flightOfMine) s.flights.delete(key);
    }
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
