/**
 * A narrow client for the AmoCRM REST API v4 reads amocrm-sync needs: leads changed since a
 * time, lead events of a time window, and the webhook subscriptions.
 *
 * - Base URL from the environment (`AMOCRM_API_URL`, else `https://<subdomain>.amocrm.ru`), the
 *   long-lived token as `Authorization: Bearer`; the token is never logged, thrown or returned.
 * - At most `maxRps` requests per second (AmoCRM allows 7 per account: request starts are spaced
 *   `ceil(1000 / maxRps)` ms apart) — https://developers.kommo.com/docs/limitations .
 * - 429 (and 5xx / network errors) are retried with exponential backoff (a `Retry-After` hint
 *   wins); a 403 is AmoCRM's block of a client past the limits: one long wait, then it gives up
 *   (`blocked`). 401 is never retried (`unauthorized`).
 * - A 204 No Content answer is an empty list (AmoCRM answers 204 when nothing matches).
 * - Every wait and request checks the run's deadline: past it, {@link AmoDeadlineError}, so the
 *   caller stops cleanly and resumes from its watermark next time.
 *
 * `fetch`, `sleep` and `now` are injected (tests and the benchmark drive time and transport).
 *
 * @module
 */
import type { z } from "../deps.ts";
import {
  type ApiEvent,
  type ApiLead,
  type ApiWebhook,
  EventsPageSchema,
  LeadsPageSchema,
  WebhooksSchema,
} from "./api-schema.ts";

export type AmoErrorCode =
  | "unauthorized"
  | "blocked"
  | "rate_limited"
  | "unavailable"
  | "http_error"
  | "invalid_response";

/** A failed API call. `message` names the path and status, never the token. */
export class AmoApiError extends Error {
  constructor(readonly code: AmoErrorCode, message: string, readonly status?: number) {
    super(message);
    this.name = "AmoApiError";
  }
}

/** The run's deadline is reached (before a request or a wait that would pass it). */
export class AmoDeadlineError extends Error {
  constructor(message = "the run's deadline was reached") {
    super(message);
    this.name = "AmoDeadlineError";
  }
}

export interface AmoClientOptions {
  baseUrl: string;
  token: string;
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  /** Epoch ms after which no request starts. */
  deadline: number;
  /** Requests per second (AmoCRM: 7). */
  maxRps?: number;
  /** Retries of a 429 / 5xx / network error. */
  maxRetries?: number;
  /** First backoff after a 429 or 5xx (doubles per retry). */
  backoffBaseMs?: number;
  /** The wait after a 403 block before the one retry. */
  blockWaitMs?: number;
  /** Per-request timeout. */
  timeoutMs?: number;
}

export interface Page<T> {
  items: T[];
  hasNext: boolean;
}

/** The client: one instance per run (it counts calls and spaces them). */
export interface AmoClient {
  /** Leads with `updated_at >= fromUnix`, ascending by `updated_at`, page `page` of 250. */
  leadsPage(fromUnix: number, page: number): Promise<Page<ApiLead>>;
  /** Lead events of `types` with `created_at` in [fromUnix, toUnix], page `page` of 100. */
  eventsPage(
    fromUnix: number,
    toUnix: number,
    types: readonly string[],
    page: number,
  ): Promise<Page<ApiEvent>>;
  webhooks(): Promise<ApiWebhook[]>;
  /** HTTP requests sent so far (retries included). */
  readonly calls: number;
  /** Time spent waiting for the rate limit or a backoff (ms). */
  readonly waitedMs: number;
}

export const LEADS_PAGE_SIZE = 250;
export const EVENTS_PAGE_SIZE = 100;

/** Builds a client. */
export function createAmoClient(opts: AmoClientOptions): AmoClient {
  const base = opts.baseUrl.replace(/\/+$/, "");
  const spacing = Math.ceil(1000 / (opts.maxRps ?? 7));
  const maxRetries = opts.maxRetries ?? 4;
  const backoffBase = opts.backoffBaseMs ?? 1_000;
  const blockWait = opts.blockWaitMs ?? 30_000;
  const timeoutMs = opts.timeoutMs ?? 20_000;
  let lastStart = -Infinity;
  let calls = 0;
  let waitedMs = 0;

  async function wait(ms: number) {
    if (ms <= 0) return;
    if (opts.now() + ms > opts.deadline) throw new AmoDeadlineError();
    waitedMs += ms;
    await opts.sleep(ms);
  }

  async function send(url: string): Promise<Response> {
    await wait(lastStart + spacing - opts.now());
    if (opts.now() >= opts.deadline) throw new AmoDeadlineError();
    lastStart = opts.now();
    calls++;
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), timeoutMs);
    try {
      return await opts.fetch(url, {
        headers: { authorization: `Bearer ${opts.token}`, accept: "application/hal+json" },
        signal: ctrl.signal,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** GET with retries; null for 204. */
  async function get<S extends z.ZodType>(
    path: string,
    params: [string, string][],
    schema: S,
  ): Promise<z.infer<S> | null> {
    const url = `${base}${path}?${new URLSearchParams(params)}`;
    let blocked = false;
    for (let attempt = 0;; attempt++) {
      let res: Response;
      try {
        res = await send(url);
      } catch (err) {
        if (err instanceof AmoDeadlineError) throw err;
        if (attempt >= maxRetries) {
          throw new AmoApiError("unavailable", `GET ${path}: ${errText(err)}`);
        }
        await wait(backoff(attempt, null));
        continue;
      }
      if (res.status === 204) {
        await res.body?.cancel();
        return null;
      }
      if (res.ok) {
        let body: unknown;
        try {
          body = await res.json();
        } catch {
          throw new AmoApiError("invalid_response", `GET ${path}: the body is not JSON`, 200);
        }
        const parsed = schema.safeParse(body);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new AmoApiError(
            "invalid_response",
            `GET ${path}: unexpected answer at ${
              issue.path.join(".") || "(root)"
            }: ${issue.message}`,
            res.status,
          );
        }
        return parsed.data;
      }
      const hint = retryAfterMs(res.headers.get("retry-after"), opts.now());
      await res.body?.cancel();
      if (res.status === 401) {
        throw new AmoApiError(
          "unauthorized",
          `GET ${path}: 401 — AMOCRM_ACCESS_TOKEN was refused (expired or revoked)`,
          401,
        );
      }
      if (res.status === 403) {
        if (blocked) {
          throw new AmoApiError(
            "blocked",
            `GET ${path}: 403 — AmoCRM refuses this client (blocked, or the token lacks rights)`,
            403,
          );
        }
        blocked = true;
        await wait(hint ?? blockWait);
        continue;
      }
      if (res.status === 429 || res.status >= 500) {
        if (attempt >= maxRetries) {
          throw new AmoApiError(
            res.status === 429 ? "rate_limited" : "unavailable",
            `GET ${path}: ${res.status} after ${attempt + 1} attempts`,
            res.status,
          );
        }
        await wait(backoff(attempt, hint));
        continue;
      }
      throw new AmoApiError("http_error", `GET ${path}: HTTP ${res.status}`, res.status);
    }
  }

  function backoff(attempt: number, hint: number | null): number {
    return hint ?? backoffBase * 2 ** attempt;
  }

  return {
    get calls() {
      return calls;
    },
    get waitedMs() {
      return waitedMs;
    },
    async leadsPage(fromUnix, page) {
      const body = await get("/api/v4/leads", [
        ["limit", String(LEADS_PAGE_SIZE)],
        ["page", String(page)],
        ["order[updated_at]", "asc"],
        ["filter[updated_at][from]", String(fromUnix)],
      ], LeadsPageSchema);
      if (!body) return { items: [], hasNext: false };
      return { items: body._embedded.leads, hasNext: !!body._links?.next };
    },
    async eventsPage(fromUnix, toUnix, types, page) {
      const body = await get("/api/v4/events", [
        ["limit", String(EVENTS_PAGE_SIZE)],
        ["page", String(page)],
        ["filter[entity]", "lead"],
        ...types.map((t): [string, string] => ["filter[type][]", t]),
        ["filter[created_at][from]", String(fromUnix)],
        ["filter[created_at][to]", String(toUnix)],
      ], EventsPageSchema);
      if (!body) return { items: [], hasNext: false };
      return { items: body._embedded.events, hasNext: !!body._links?.next };
    },
    async webhooks() {
      const body = await get("/api/v4/webhooks", [], WebhooksSchema);
      return body?._embedded.webhooks ?? [];
    },
  };
}

/** Retry-After as seconds or an HTTP date → ms from now; null when absent or invalid. */
export function retryAfterMs(value: string | null, now: number): number | null {
  if (!value) return null;
  const s = value.trim();
  if (/^[0-9]{1,6}$/.test(s)) return Number(s) * 1000;
  const at = Date.parse(s);
  return Number.isFinite(at) ? Math.max(0, at - now) : null;
}

function errText(err: unknown): string {
  const name = err instanceof Error ? err.name : "Error";
  return name === "AbortError" ? "timed out" : `${name}: network error`;
}

/**
 * The `exp` of a long-lived token (a JWT) as epoch ms, or null when it is not a JWT or has no
 * numeric exp. Only the claim is read; the token goes nowhere.
 */
export function tokenExpiry(token: string): number | null {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const b64 = part.replaceAll("-", "+").replaceAll("_", "/");
    const claims = JSON.parse(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)));
    return typeof claims?.exp === "number" && Number.isFinite(claims.exp)
      ? claims.exp * 1000
      : null;
  } catch {
    return null;
  }
}
