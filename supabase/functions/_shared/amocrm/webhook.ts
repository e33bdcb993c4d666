/**
 * Turns an AmoCRM account webhook body (urlencoded, PHP bracket keys) into typed lead events.
 *
 * `parseWebhook` never throws. A body that is not acceptable form data, or whose lead items fail
 * validation, gives `{ ok: false, error }` with a message fit for a 400 answer. Every entity or
 * action we do not handle (contacts, companies, tasks, unsorted, talks, `leads[note]`…) is counted
 * in `ignored`; a body with nothing recognizable is still `ok` with zero events.
 *
 * @module
 */
import { z } from "../deps.ts";
import { type FormObject, type FormValue, parseForm, type ParseOptions } from "./form.ts";
import {
  type Account,
  type CustomField,
  LEAD_ACTIONS,
  type LeadAction,
  type LeadEvent,
  plainLead,
  RawAccountSchema,
  RawLeadSchema,
  type Utm,
} from "./schema.ts";

/** An entity/action pair present in the body that produced no events. */
export interface IgnoredGroup {
  entity: string;
  /** The action key (`add`, `update`, `note`…); `""` when the entity was a bare value. */
  action: string;
  /** How many items it held. */
  count: number;
}

/** A parsed webhook. */
export interface Webhook {
  account: Account;
  events: LeadEvent[];
  ignored: IgnoredGroup[];
}

/** The result of {@link parseWebhook}. */
export type WebhookResult =
  | { readonly ok: true; readonly webhook: Webhook }
  | { readonly ok: false; readonly error: string };

const UTM_KEYS: ReadonlyArray<readonly [keyof Utm, string, string]> = [
  ["source", "UTM_SOURCE", "utm_source"],
  ["medium", "UTM_MEDIUM", "utm_medium"],
  ["campaign", "UTM_CAMPAIGN", "utm_campaign"],
  ["content", "UTM_CONTENT", "utm_content"],
  ["term", "UTM_TERM", "utm_term"],
  ["fbclid", "FBCLID", "fbclid"],
];

/** Parses a webhook body into `{ account, events, ignored }`. Never throws. */
export function parseWebhook(body: string, options?: ParseOptions): WebhookResult {
  try {
    return normalize(body, options);
  } catch (err) {
    // Unreachable by design (the property test checks this never fires); kept for totality.
    return { ok: false, error: `Unexpected parser failure: ${String(err).slice(0, 200)}` };
  }
}

function normalize(body: string, options?: ParseOptions): WebhookResult {
  const form = parseForm(body, options);
  if (!form.ok) return { ok: false, error: `Body is not valid form data: ${form.error.message}` };
  const root = form.value;

  let account: Account = {};
  if (root.account !== undefined) {
    const parsed = RawAccountSchema.safeParse(root.account);
    if (!parsed.success) return invalid(["account"], parsed.error);
    account = parsed.data;
  }

  const events: LeadEvent[] = [];
  const ignored: IgnoredGroup[] = [];
  for (const entity of Object.keys(root)) {
    if (entity === "account") continue;
    const byAction = root[entity];
    if (!isObject(byAction)) {
      ignored.push({ entity: short(entity), action: "", count: 1 });
      continue;
    }
    for (const [action, items] of Object.entries(byAction)) {
      if (entity !== "leads" || !isLeadAction(action)) {
        ignored.push({ entity: short(entity), action: short(action), count: countItems(items) });
        continue;
      }
      const list = typeof items === "string" ? [items] : Object.values(items);
      for (let i = 0; i < list.length; i++) {
        // The plain checks first (the same rules, no zod object parse); the schema for the rest.
        let lead = plainLead(list[i]);
        if (lead === undefined) {
          const parsed = RawLeadSchema.safeParse(list[i]);
          if (!parsed.success) return invalid(["leads", action, String(i)], parsed.error);
          lead = parsed.data;
        }
        events.push({ action, ...lead, utm: extractUtm(lead.customFields) });
      }
    }
  }
  return { ok: true, webhook: { account, events, ignored } };
}

/**
 * Reads UTM marks from custom fields: the first non-empty value of a field whose `code` matches
 * (`UTM_SOURCE`…, `FBCLID`), else of a field whose `name` matches case-insensitively
 * (`utm_source`, `UTM Source`…). Values are trimmed; empty values count as missing.
 */
export function extractUtm(fields: readonly CustomField[]): Utm {
  const utm: Utm = {};
  for (const [key, code, name] of UTM_KEYS) {
    const value = firstValue(fields.filter((f) => f.code?.trim().toUpperCase() === code)) ??
      firstValue(fields.filter((f) => normalizeName(f.name) === name));
    if (value !== undefined) utm[key] = value;
  }
  return utm;
}

function normalizeName(name: string | undefined): string | undefined {
  return name?.trim().toLowerCase().replace(/[\s-]+/g, "_");
}

function firstValue(fields: readonly CustomField[]): string | undefined {
  for (const field of fields) {
    for (const v of field.values) {
      const s = v.value?.trim();
      if (s) return s;
    }
  }
  return undefined;
}

/** Keeps odd keys from bloating the stored payload. */
function short(name: string): string {
  return name.length > 100 ? `${name.slice(0, 100)}…` : name;
}

function isLeadAction(action: string): action is LeadAction {
  return (LEAD_ACTIONS as readonly string[]).includes(action);
}

function isObject(v: FormValue | undefined): v is FormObject | FormValue[] {
  return typeof v === "object" && v !== null;
}

function countItems(v: FormValue | undefined): number {
  return isObject(v) ? Object.keys(v).length : 1;
}

/** A short human message naming the first failing field in bracket notation. */
function invalid(prefix: string[], error: z.ZodError): WebhookResult {
  const issue = error.issues[0];
  const [base, ...rest] = [...prefix, ...(issue?.path ?? []).map(String)];
  const where = base + rest.map((s) => `[${s}]`).join("");
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : "";
  return { ok: false, error: `Invalid webhook field ${where}: ${issue?.message}${more}` };
}
