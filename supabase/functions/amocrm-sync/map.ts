/**
 * Turns what the AmoCRM API answers into lead events of the webhook parser's shape (the lead
 * event log's input), so the SQL derives leads and sales from API and webhook events alike.
 *
 * - a lead of `GET /api/v4/leads` → an `update` event at its `updated_at` carrying its whole
 *   state (status, pipeline, price, name, responsible user, custom fields and their UTM values);
 * - a lead created inside the run's event window → also an `add` at its `created_at` with the
 *   status and price it was created with (the `value_before` of its first status / sale change
 *   in the window, else its current ones), so a sale made at creation keeps its real `sold_at`;
 * - `lead_status_changed` → a `status` event at the event's `created_at` (value_after);
 * - `sale_field_changed` → an `update` carrying only the new price;
 * - `lead_deleted` / `lead_restored` → `delete` / `restore` at the event's `created_at`. The
 *   webhooks' delete/restore bodies carry no time; the log's rule (migration
 *   20261207170000) lets the latest dated delete/restore decide, else a restore outranks a
 *   delete, so a lead deleted, restored and deleted again is deleted once this path has read
 *   the three events.
 *
 * Every event carries `source: "api"` and a `ref` (the AmoCRM event id, or `lead:<updated_at>`),
 * so reading the same data again yields byte-identical events, which the log stores once.
 *
 * @module
 */
import { type ApiEvent, type ApiLead, leadStatusOf, saleOf } from "../_shared/amocrm/api-schema.ts";
import type { CustomField, LeadAction, Utm } from "../_shared/amocrm/schema.ts";
import { extractUtm } from "../_shared/amocrm/webhook.ts";

/** The event types read from `/api/v4/events`. */
export const EVENT_TYPES = [
  "lead_status_changed",
  "sale_field_changed",
  "lead_deleted",
  "lead_restored",
] as const;

/** One lead event as `amocrm_sync_apply()` takes it. */
export interface ApiLeadEvent {
  source: "api";
  ref: string;
  leadId: string;
  action: LeadAction;
  updatedAt?: string;
  statusId?: string;
  pipelineId?: string;
  price?: string;
  name?: string;
  responsibleUserId?: string;
  createdAt?: string;
  customFields: CustomField[];
  utm: Utm;
}

const iso = (unix: number) => new Date(unix * 1000).toISOString();

function strip<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

type LeadStatus = { id: number; pipeline_id: number };

/** Per lead, its status changes (ascending) and its first price change in the event window. */
export type LeadHistory = Map<string, {
  statuses: { at: number; before: LeadStatus | null; after: LeadStatus }[];
  price?: { at: number; before: string | null };
}>;

/** The status/price history of every lead named by `events` (all pages of the window). */
export function buildHistory(events: readonly ApiEvent[]): LeadHistory {
  const history: LeadHistory = new Map();
  for (const ev of events) {
    if (ev.entity_type !== "lead") continue;
    const leadId = String(ev.entity_id);
    const h = history.get(leadId) ?? { statuses: [] };
    if (ev.type === "lead_status_changed") {
      const after = leadStatusOf(ev.value_after);
      if (after) {
        h.statuses.push({ at: ev.created_at, before: leadStatusOf(ev.value_before), after });
      }
    } else if (ev.type === "sale_field_changed") {
      if (!h.price || ev.created_at < h.price.at) {
        h.price = { at: ev.created_at, before: saleOf(ev.value_before) };
      }
    }
    history.set(leadId, h);
  }
  for (const h of history.values()) h.statuses.sort((a, b) => a.at - b.at);
  return history;
}

/**
 * The lead's status at `at`: after the last change at or before it, else before the first
 * change after it, else `current` (the lead as the list serves it, when known).
 */
export function statusAt(
  history: LeadHistory,
  leadId: string,
  at: number,
  current: LeadStatus | null,
): LeadStatus | null {
  const changes = history.get(leadId)?.statuses ?? [];
  let last: LeadStatus | null = null;
  for (const c of changes) {
    if (c.at <= at) last = c.after;
    else return last ?? c.before ?? current;
  }
  return last ?? current;
}

/**
 * The lead events of some AmoCRM events. A price change carries the status the lead had then
 * (as every webhook does), so a sale whose price moved keeps the amount it had when it left.
 */
export function mapEvents(
  events: readonly ApiEvent[],
  history: LeadHistory,
  current: (leadId: string) => LeadStatus | null = () => null,
): ApiLeadEvent[] {
  const out: ApiLeadEvent[] = [];
  for (const ev of events) {
    if (ev.entity_type !== "lead") continue;
    const leadId = String(ev.entity_id);
    const base = {
      source: "api" as const,
      ref: `event:${ev.id}`,
      leadId,
      customFields: [],
      utm: {},
    };
    if (ev.type === "lead_status_changed") {
      const after = leadStatusOf(ev.value_after);
      if (!after) continue;
      out.push({
        ...base,
        action: "status",
        updatedAt: iso(ev.created_at),
        statusId: String(after.id),
        pipelineId: String(after.pipeline_id),
      });
    } else if (ev.type === "sale_field_changed") {
      const price = saleOf(ev.value_after);
      if (price === null) continue;
      const st = statusAt(history, leadId, ev.created_at, current(leadId));
      out.push(strip({
        ...base,
        action: "update" as const,
        updatedAt: iso(ev.created_at),
        price,
        statusId: st ? String(st.id) : undefined,
        pipelineId: st ? String(st.pipeline_id) : undefined,
      }));
    } else if (ev.type === "lead_deleted") {
      out.push({ ...base, action: "delete", updatedAt: iso(ev.created_at) });
    } else if (ev.type === "lead_restored") {
      out.push({ ...base, action: "restore", updatedAt: iso(ev.created_at) });
    }
  }
  return out;
}

/** The custom fields of an API lead in the webhook parser's shape. */
export function customFieldsOf(lead: ApiLead): CustomField[] {
  return (lead.custom_fields_values ?? []).map((f) => ({
    ...strip({
      id: String(f.field_id),
      name: f.field_name ?? undefined,
      code: f.field_code ?? undefined,
    }),
    values: f.values.map((v) =>
      strip({
        value: v.value === null || v.value === undefined ? undefined : String(v.value),
        enum: v.enum_id === null || v.enum_id === undefined ? undefined : String(v.enum_id),
      })
    ),
  }));
}

const opt = (
  v: number | null | undefined,
) => (v === null || v === undefined ? undefined : String(v));

/**
 * The lead events of one API lead: its snapshot, and an `add` when it was created at or after
 * `windowStart` (unix s; the run's events cover its whole life then).
 */
export function mapLead(lead: ApiLead, history: LeadHistory, windowStart: number): ApiLeadEvent[] {
  const leadId = String(lead.id);
  const customFields = customFieldsOf(lead);
  const createdAt = lead.created_at ? iso(lead.created_at) : undefined;
  const snapshot: ApiLeadEvent = strip({
    source: "api" as const,
    ref: `lead:${lead.updated_at}`,
    leadId,
    action: "update" as const,
    updatedAt: iso(lead.updated_at),
    statusId: opt(lead.status_id),
    pipelineId: opt(lead.pipeline_id),
    price: opt(lead.price),
    name: lead.name ?? undefined,
    responsibleUserId: opt(lead.responsible_user_id),
    createdAt,
    customFields,
    utm: extractUtm(customFields),
  });
  if (!lead.created_at || lead.created_at < windowStart) return [snapshot];
  const h = history.get(leadId);
  const status = h?.statuses.length
    ? h.statuses[0].before
    : (lead.status_id && lead.pipeline_id
      ? { id: lead.status_id, pipeline_id: lead.pipeline_id }
      : null);
  const price = h?.price ? h.price.before : opt(lead.price) ?? null;
  const add: ApiLeadEvent = strip({
    source: "api" as const,
    ref: `lead-created:${lead.created_at}`,
    leadId,
    action: "add" as const,
    updatedAt: createdAt,
    statusId: status ? String(status.id) : undefined,
    pipelineId: status ? String(status.pipeline_id) : undefined,
    price: price ?? undefined,
    createdAt,
    customFields: [],
    utm: {},
  });
  return [add, snapshot];
}
