/**
 * One reconciliation run, from history row to history row:
 *
 * 1. the lead events of `[events watermark − overlap, run start]` from `/api/v4/events`, page
 *    by page (100 a page), each page applied at once;
 * 2. the leads changed since `leads watermark − overlap` from `/api/v4/leads`, ascending by
 *    `updated_at`, 250 a page, with a keyset cursor (the next page asks from the last
 *    `updated_at` read), so a lead changed during the run moves to the end and is read again
 *    instead of shifting the pages under the reader;
 * 3. `/api/v4/webhooks` (disabled subscriptions) and the token's `exp`.
 *
 * Past the deadline (`AMOCRM_SYNC_BUDGET_MS`) the run stops between requests: the leads
 * watermark keeps what complete pages reached, the events watermark moves only when both reads
 * completed, and the next run resumes there. Re-reading is harmless: the log stores identical
 * events once.
 *
 * @module
 */
import {
  AmoApiError,
  type AmoClient,
  AmoDeadlineError,
  createAmoClient,
  tokenExpiry,
} from "../_shared/amocrm/api-client.ts";
import { describeError } from "../_shared/http.ts";
import type { Config } from "./config.ts";
import type { ApiEvent, ApiLead } from "../_shared/amocrm/api-schema.ts";
import { type ApiLeadEvent, buildHistory, EVENT_TYPES, mapEvents, mapLead } from "./map.ts";
import type { ApplyResult, SyncStore } from "./store.ts";
import type { RunDeps as SharedRunDeps } from "../_shared/runtime.ts";

/** config, store, logger, fetch, sleep, now (`_shared/runtime.ts`). */
export type RunDeps = SharedRunDeps<Config, SyncStore>;

/** The JSON answer of a run (no token, no webhook secret). */
export interface SyncAnswer {
  run_id: number;
  account: string;
  triggered_by: string;
  success: boolean;
  /** Stopped at the deadline; the next run resumes from the watermarks. */
  partial: boolean;
  leads_read: number;
  events_read: number;
  events_inserted: number;
  /** Leads whose visible traffic_leads row this run changed. */
  leads_changed: number;
  /** Leads whose traffic_sales (ledger) row this run changed. */
  sales_changed: number;
  /** Leads with either: deliveries the webhooks missed. */
  missed: number;
  api_calls: number;
  waited_ms: number;
  duration_ms: number;
  watermarks: { leads: string | null; events: string | null };
  webhooks: { total: number; disabled: number; disabled_destinations: string[] } | null;
  token_expires_at: string | null;
  warnings: string[];
  error: { code: string; message: string } | null;
}

const iso = (ms: number) => new Date(ms).toISOString();
/** Events per amocrm_sync_apply call (the SQL refuses more than 1000). */
const APPLY_BATCH = 500;
const unixOf = (s: string | null | undefined) => (s ? Math.floor(Date.parse(s) / 1000) : null);

/** A webhook destination without its query string (the URL carries our webhook secret). */
export function safeDestination(destination: string): string {
  try {
    const u = new URL(destination);
    return `${u.origin}${u.pathname}`;
  } catch {
    return destination.split(/[?#]/)[0].slice(0, 200);
  }
}

/** Runs one reconciliation. The caller checked the token and URL are configured. */
export async function runSync(
  deps: RunDeps,
  opts: { triggeredBy: string; token: string; apiUrl: string },
): Promise<SyncAnswer> {
  const { config, store } = deps;
  const account = config.account;
  const started = deps.now();
  const deadline = started + config.AMOCRM_SYNC_BUDGET_MS;
  const runId = await store.startHistory({
    sync_type: "amocrm",
    started_at: iso(started),
    triggered_by: opts.triggeredBy,
    // When the row counts as dead if never closed (traffic_close_stale_runs / latest runs).
    details: { account, expires_at: iso(deadline + 60_000) },
  });
  const logger = deps.logger.child({ run_id: runId, account });
  const answer: SyncAnswer = {
    run_id: runId,
    account,
    triggered_by: opts.triggeredBy,
    success: false,
    partial: false,
    leads_read: 0,
    events_read: 0,
    events_inserted: 0,
    leads_changed: 0,
    sales_changed: 0,
    missed: 0,
    api_calls: 0,
    waited_ms: 0,
    duration_ms: 0,
    watermarks: { leads: null, events: null },
    webhooks: null,
    token_expires_at: null,
    warnings: [],
    error: null,
  };
  const client = createAmoClient({
    baseUrl: opts.apiUrl,
    token: opts.token,
    fetch: deps.fetch,
    sleep: deps.sleep,
    now: deps.now,
    deadline,
    maxRps: config.AMOCRM_MAX_RPS,
    backoffBaseMs: config.AMOCRM_BACKOFF_MS,
    blockWaitMs: config.AMOCRM_BLOCK_WAIT_MS,
  });
  const stateUpdate: Record<string, unknown> = { last_run_at: iso(started) };

  const exp = tokenExpiry(opts.token);
  answer.token_expires_at = exp === null ? null : iso(exp);
  stateUpdate.token_expires_at = answer.token_expires_at;
  if (exp !== null) {
    const days = Math.floor((exp - started) / 86_400_000);
    if (days < config.AMOCRM_TOKEN_WARN_DAYS) {
      answer.warnings.push(
        days < 0 ? "the AmoCRM token has expired" : `the AmoCRM token expires in ${days} day(s)`,
      );
    }
  }

  // A lead can be named by an events page and a leads page: count it once.
  const leadsChanged = new Set<number>();
  const salesChanged = new Set<number>();
  const missed = new Set<number>();
  const add = (r: ApplyResult) => {
    answer.events_inserted += r.inserted;
    for (const id of r.changed_lead_ids) leadsChanged.add(id), missed.add(id);
    for (const id of r.changed_sale_ids) salesChanged.add(id), missed.add(id);
    answer.leads_changed = leadsChanged.size;
    answer.sales_changed = salesChanged.size;
    answer.missed = missed.size;
  };

  try {
    const state = await store.getState(account);
    const nowUnix = Math.floor(started / 1000);
    const initial = nowUnix - config.AMOCRM_SYNC_INITIAL_DAYS * 86_400;
    const overlap = config.AMOCRM_SYNC_OVERLAP_S;
    const eventsFrom = Math.max(0, (unixOf(state.events_watermark) ?? initial) - overlap);
    const leadsFrom = Math.max(0, (unixOf(state.leads_watermark) ?? initial) - overlap);

    // All events of the window first (a lead's status at any moment needs all of them), then
    // each leads page with the events of its leads, then the events of leads the list no
    // longer serves (deleted ones).
    const events = await readEvents(client, { from: eventsFrom, to: nowUnix }, answer);
    const history = buildHistory(events);
    const pending = new Map<string, ApiEvent[]>();
    for (const ev of events) {
      const key = String(ev.entity_id);
      const list = pending.get(key);
      if (list) list.push(ev);
      else pending.set(key, [ev]);
    }
    const apply = async (batch: ApiLeadEvent[]) => {
      for (let i = 0; i < batch.length; i += APPLY_BATCH) {
        add(await store.apply(batch.slice(i, i + APPLY_BATCH)));
      }
    };
    const leadsMark = await readLeads(client, leadsFrom, answer, async (leads) => {
      const batch: ApiLeadEvent[] = [];
      for (const lead of leads) {
        const key = String(lead.id);
        const current = lead.status_id && lead.pipeline_id
          ? { id: lead.status_id, pipeline_id: lead.pipeline_id }
          : null;
        batch.push(...mapEvents(pending.get(key) ?? [], history, () => current));
        pending.delete(key);
        batch.push(...mapLead(lead, history, eventsFrom));
      }
      await apply(batch);
    }, (mark) => {
      stateUpdate.leads_watermark = iso(mark * 1000);
    });
    await apply(mapEvents([...pending.values()].flat(), history));
    if (leadsMark !== null) stateUpdate.leads_watermark = iso(leadsMark * 1000);
    stateUpdate.events_watermark = iso(nowUnix * 1000);
    answer.success = true;
  } catch (err) {
    if (err instanceof AmoDeadlineError) {
      answer.partial = true;
      answer.success = true;
      answer.warnings.push("stopped at the run's deadline; the next run resumes from here");
    } else if (err instanceof AmoApiError) {
      answer.error = { code: `amocrm_${err.code}`, message: err.message };
    } else {
      answer.error = { code: "sync_failed", message: describeError(err) };
    }
  }

  // The subscription check needs admin rights and a working token: skip it after a 401/403.
  const tokenOk = !answer.error ||
    !["amocrm_unauthorized", "amocrm_blocked"].includes(answer.error.code);
  if (tokenOk && deps.now() < deadline) {
    try {
      const hooks = await client.webhooks();
      const list = hooks.map((h) => ({
        id: h.id,
        destination: safeDestination(h.destination),
        disabled: h.disabled,
        settings: h.settings ?? [],
      }));
      stateUpdate.webhooks = list;
      const disabled = list.filter((h) => h.disabled).map((h) => h.destination);
      answer.webhooks = {
        total: list.length,
        disabled: disabled.length,
        disabled_destinations: disabled,
      };
      if (disabled.length > 0) {
        answer.warnings.push(
          `${disabled.length} AmoCRM webhook(s) disabled: ${disabled.join(", ")}`,
        );
      }
    } catch (err) {
      answer.warnings.push(
        `webhook subscriptions not checked: ${
          err instanceof AmoApiError || err instanceof AmoDeadlineError
            ? err.message
            : describeError(err)
        }`,
      );
    }
  }
  if (answer.missed > 0) {
    answer.warnings.push(`${answer.missed} lead(s) had changes the webhooks never delivered`);
  }

  answer.api_calls = client.calls;
  answer.waited_ms = client.waitedMs;
  answer.watermarks = {
    leads: (stateUpdate.leads_watermark as string | undefined) ?? null,
    events: (stateUpdate.events_watermark as string | undefined) ?? null,
  };
  stateUpdate.missed = answer.missed;
  stateUpdate.last_error = answer.error?.message ?? null;
  if (answer.success) stateUpdate.last_success_at = iso(deps.now());
  try {
    await store.record(account, stateUpdate);
  } catch (err) {
    logger.error("could not record the sync state", { error: describeError(err) });
    if (!answer.error) answer.error = { code: "sync_failed", message: describeError(err) };
    answer.success = false;
  }

  const finished = deps.now();
  answer.duration_ms = finished - started;
  try {
    await store.finishHistory(runId, {
      finished_at: iso(finished),
      duration_ms: answer.duration_ms,
      success: answer.success,
      records_synced: answer.leads_read + answer.events_read,
      error_message: answer.error?.message ?? null,
      details: {
        account,
        partial: answer.partial,
        leads_read: answer.leads_read,
        events_read: answer.events_read,
        events_inserted: answer.events_inserted,
        leads_changed: answer.leads_changed,
        sales_changed: answer.sales_changed,
        missed: answer.missed,
        api_calls: answer.api_calls,
        waited_ms: answer.waited_ms,
        watermarks: answer.watermarks,
        webhooks: answer.webhooks,
        warnings: answer.warnings,
      },
    });
  } catch (err) {
    logger.error("could not close the history row", { error: describeError(err) });
  }
  const { warnings: _w, ...summary } = answer;
  logger.info("amocrm sync finished", {
    ...summary,
    webhooks: undefined,
    warnings: answer.warnings.length,
  });
  return answer;
}

/** Every lead event of the window, page by page (100 a page). */
async function readEvents(
  client: AmoClient,
  window: { from: number; to: number },
  answer: SyncAnswer,
): Promise<ApiEvent[]> {
  const all: ApiEvent[] = [];
  for (let page = 1;; page++) {
    const { items, hasNext } = await client.eventsPage(window.from, window.to, EVENT_TYPES, page);
    answer.events_read += items.length;
    all.push(...items);
    if (!hasNext || items.length === 0) return all;
  }
}

/**
 * Reads the changed leads with a keyset cursor and hands each page's new lead states to
 * `onPage`; returns the largest updated_at read (unix s), or null.
 */
async function readLeads(
  client: AmoClient,
  from: number,
  answer: SyncAnswer,
  onPage: (leads: ApiLead[]) => Promise<void>,
  progress: (mark: number) => void,
): Promise<number | null> {
  const seen = new Map<number, number>();
  let cursor = from;
  let page = 1;
  let mark: number | null = null;
  for (;;) {
    const { items, hasNext } = await client.leadsPage(cursor, page);
    const fresh = items.filter((l) => seen.get(l.id) !== l.updated_at);
    for (const l of fresh) seen.set(l.id, l.updated_at);
    answer.leads_read += fresh.length;
    if (fresh.length > 0) await onPage(fresh);
    const top = items.reduce((m, l) => Math.max(m, l.updated_at), cursor);
    if (items.length > 0) {
      mark = Math.max(mark ?? top, top);
      progress(mark);
    }
    if (!hasNext || items.length === 0) return mark;
    if (top > cursor) {
      cursor = top;
      page = 1;
    } else {
      page += 1;
    }
  }
}
