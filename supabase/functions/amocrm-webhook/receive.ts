/**
 * The webhook itself: check the secret, read and parse the body, check the account, then ONE call
 * stores the raw body and, when this instance's background drain is idle and no other drainer is
 * processing at that moment, processes it (alone) in the same transaction. Otherwise the answer
 * says `pending` and the background drain (`drain.ts`) processes it moments later, in one batch
 * with the others. Once the body is stored the answer
 * is 200, whatever processing does; only a failure to store answers 5xx, so AmoCRM retries. Past the
 * secret, every body is kept: one that is not a valid webhook of our account as `rejected` with
 * the reason (400 / 403), bytes Postgres text cannot hold as base64 — or 503 when it cannot be.
 *
 * @module
 */
import { parseWebhook, type Webhook } from "../_shared/amocrm/mod.ts";
import { sha256Hex } from "../_shared/hash.ts";
import { timingSafeEqual } from "../_shared/auth.ts";
import { describeError, HttpError, json } from "../_shared/http.ts";
import { readBody, storedPayload, toBase64 } from "./body.ts";
import type { Deps } from "./context.ts";
import type { IngestInput } from "./store.ts";

/** Handles one AmoCRM webhook POST. */
export async function receive(req: Request, url: URL, deps: Deps): Promise<Response> {
  const { config, logger } = deps;
  const started = performance.now();
  if (!config.AMOCRM_WEBHOOK_SECRET) {
    logger.error(
      "AMOCRM_WEBHOOK_SECRET is not set: webhook refused and nothing stored. Set the secret and " +
        "put it in the AmoCRM webhook URL as ?secret=...",
    );
    throw new HttpError(500, "not_configured", "The webhook endpoint is not configured.");
  }
  const secret = url.searchParams.get("secret");
  if (!secret) {
    logger.warn("webhook rejected: no secret in the URL");
    throw new HttpError(401, "unauthorized", "The secret query parameter is required.");
  }
  if (!timingSafeEqual(secret, config.AMOCRM_WEBHOOK_SECRET)) {
    logger.warn("webhook rejected: wrong secret");
    throw new HttpError(401, "unauthorized", "The secret is not valid.");
  }

  const received = await readBody(req, config.AMOCRM_MAX_BODY_BYTES);
  if (received.kind === "undecodable") {
    const eventId = await keepRejected(
      received.bytes,
      received.reason,
      req.headers.get("content-type"),
      deps,
    );
    logger.warn("webhook rejected: body cannot be stored as text; kept as base64", {
      error: received.reason,
      bytes: received.bytes.byteLength,
      event_id: eventId,
    });
    throw new HttpError(400, "invalid_webhook", received.reason);
  }
  const rawBody = received.text;
  const parsed = parseWebhook(rawBody);
  if (!parsed.ok) {
    const eventId = await keepRejected(
      rawBody,
      parsed.error,
      req.headers.get("content-type"),
      deps,
    );
    logger.warn("webhook rejected: not a valid AmoCRM body", {
      error: parsed.error,
      bytes: rawBody.length,
      event_id: eventId,
    });
    throw new HttpError(400, "invalid_webhook", parsed.error);
  }
  const webhook = parsed.webhook;
  const foreign = foreignAccount(webhook, deps);
  if (foreign) {
    // The right secret, another account (or AMOCRM_ACCOUNT_ID set wrong): kept, never applied.
    const eventId = await keepRejected(rawBody, foreign, req.headers.get("content-type"), deps);
    logger.warn("webhook rejected: foreign account; kept as rejected", {
      account_id: webhook.account.id,
      subdomain: webhook.account.subdomain,
      event_id: eventId,
    });
    throw new HttpError(403, "foreign_account", "The webhook comes from another AmoCRM account.");
  }

  // No hash here: Postgres computes the body's SHA-256 (the dedupe key) from the text it stores
  // (amocrm_ingest_event).
  const input: IngestInput = {
    rawBody,
    contentType: req.headers.get("content-type"),
    payload: storedPayload(rawBody, webhook),
    accountId: webhook.account.id,
    subdomain: webhook.account.subdomain,
    eventCount: webhook.events.length,
  };
  // One transaction: stored (and maybe processed), or not at all (503: AmoCRM sends it again).
  // While the background drain is gathering or running, the body is left to it (one batch with
  // the others); otherwise the request processes it alone.
  const process = !deps.drainer.busy();
  const stored = await keep(
    (signal) => deps.store.receive(input, process, signal),
    deps,
    "webhook NOT stored: answering 503 so AmoCRM retries",
    async () => ({ sha256: await sha256Hex(rawBody) }),
  );
  const { status } = stored;
  if (status === "pending") {
    // Left to the background drain (busy, or another drainer was): it takes this body next.
    const drained = deps.drainer.kick();
    deps.waitUntil?.(drained);
  } else if (status === "failed") {
    logger.warn("webhook processing failed; stored for replay", { event_id: stored.eventId });
  }
  logger.info("webhook stored", {
    event_id: stored.eventId,
    duplicate: stored.duplicate,
    events: webhook.events.length,
    ignored_groups: webhook.ignored.length,
    status,
    bytes: rawBody.length,
    ms: Math.round(performance.now() - started),
  });
  return json({ ok: true, event_id: stored.eventId, duplicate: stored.duplicate, status });
}

/**
 * Why the body is from another account than the configured `AMOCRM_ACCOUNT_ID` /
 * `AMOCRM_SUBDOMAIN` (when set), or null when it is ours.
 */
function foreignAccount(webhook: Webhook, { config }: Deps): string | null {
  const { id, subdomain } = webhook.account;
  if (config.AMOCRM_ACCOUNT_ID && id !== config.AMOCRM_ACCOUNT_ID) {
    return `foreign account: account[id] ${id ?? "(none)"} is not AMOCRM_ACCOUNT_ID`;
  }
  if (
    config.AMOCRM_SUBDOMAIN &&
    subdomain?.toLowerCase() !== config.AMOCRM_SUBDOMAIN.toLowerCase()
  ) {
    return `foreign account: account[subdomain] ${subdomain ?? "(none)"} is not AMOCRM_SUBDOMAIN`;
  }
  return null;
}

/**
 * Keeps a body that is refused (status `rejected`, with the reason), so nothing that arrived with
 * the right secret is lost: text as it came, bytes Postgres text cannot hold as base64. When it
 * cannot be kept the answer is 503, so the sender retries (a 400 would make it give up on a body
 * nobody kept).
 */
async function keepRejected(
  body: string | Uint8Array,
  error: string,
  contentType: string | null,
  deps: Deps,
): Promise<number> {
  const sha256 = await sha256Hex(body);
  const kept = typeof body === "string" ? { rawBody: body } : { bodyBase64: toBase64(body) };
  return await keep(
    (signal) => deps.store.reject({ ...kept, contentType, sha256, error }, signal),
    deps,
  );
}

/**
 * Runs one store call under AMOCRM_STORE_TIMEOUT_MS; any failure (or the time limit) is logged
 * with `message` and becomes a 503, so the sender retries.
 */
async function keep<T>(
  write: (signal: AbortSignal) => Promise<T>,
  { config, logger }: Deps,
  message = "rejected webhook body NOT kept: answering 503 so the sender retries",
  fields: () => Promise<Record<string, unknown>> = () => Promise.resolve({}),
): Promise<T> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), config.AMOCRM_STORE_TIMEOUT_MS);
  try {
    return await write(abort.signal);
  } catch (err) {
    // The failure's fields (the body's hash, to find it in AmoCRM's retries) are computed only
    // now: a stored body never pays for them.
    logger.error(message, { error: describeError(err), ...(await fields()) });
    throw new HttpError(503, "storage_unavailable", "The webhook could not be stored; retry.", {
      "retry-after": "5",
    });
  } finally {
    clearTimeout(timer);
  }
}
