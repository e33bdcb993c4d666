/**
 * Zod schemas for one AmoCRM lead item and the `account` block as they arrive in a webhook
 * (every value a string, after {@link parseForm}), and the normalized types they become.
 *
 * @module
 */
import { z } from "../deps.ts";

/** The lead actions we turn into events. Anything else is reported as ignored. */
export const LEAD_ACTIONS = ["add", "update", "status", "delete", "restore"] as const;

/** One of {@link LEAD_ACTIONS}. */
export type LeadAction = typeof LEAD_ACTIONS[number];

/** One value of a custom field. A bare `[values][0]=1700000000` becomes `{ value: "1700000000" }`. */
export interface CustomFieldValue {
  value?: string;
  enum?: string;
}

/** A lead custom field as sent by AmoCRM. `id` is a digit string. */
export interface CustomField {
  id: string;
  name?: string;
  code?: string;
  values: CustomFieldValue[];
}

/** UTM marks taken from custom fields (by `code`, else by `name`, case-insensitively). */
export interface Utm {
  source?: string;
  medium?: string;
  campaign?: string;
  content?: string;
  term?: string;
  fbclid?: string;
}

/** A lead item, normalized: ids as digit strings, money as an exact decimal string, ISO times. */
export interface LeadFields {
  leadId: string;
  statusId?: string;
  oldStatusId?: string;
  pipelineId?: string;
  oldPipelineId?: string;
  /** Exact decimal string (`"1000"`, `"99.90"`); never a float. */
  price?: string;
  name?: string;
  responsibleUserId?: string;
  /** ISO 8601 UTC, from `created_at`, else `date_create` (unix seconds). */
  createdAt?: string;
  /** ISO 8601 UTC, from `updated_at`, else `last_modified` (unix seconds). */
  updatedAt?: string;
  customFields: CustomField[];
}

/** One lead event of a webhook. */
export interface LeadEvent extends LeadFields {
  action: LeadAction;
  utm: Utm;
}

/** The `account` block. */
export interface Account {
  id?: string;
  subdomain?: string;
}

const MAX_TEXT = 10_000;

const BIGINT_MAX = "9223372036854775807";

/** What a field check answers for a value it refuses (the schema turns it into an issue). */
const INVALID = Symbol("invalid");
type Checked<T> = T | undefined | typeof INVALID;

/**
 * An id: `""`/missing → undefined; otherwise digits only, leading zeros dropped, and small enough
 * for a Postgres `bigint` (compared as text, never through a float). `s` is already trimmed.
 */
function checkId(s: string | undefined): Checked<string> {
  if (s === undefined || s === "") return undefined;
  const id = /^[0-9]+$/.test(s) ? s.replace(/^0+(?=[0-9])/, "") : "";
  const fits = id.length < BIGINT_MAX.length ||
    (id.length === BIGINT_MAX.length && id <= BIGINT_MAX);
  return id && fits ? id : INVALID;
}

/** Unix seconds → ISO UTC; `""`/missing → undefined; non-digits are refused. Trimmed `s`. */
function checkUnixTime(s: string | undefined): Checked<string> {
  if (s === undefined || s === "") return undefined;
  if (!/^[0-9]{1,11}$/.test(s)) return INVALID;
  return new Date(Number(s) * 1000).toISOString();
}

/** An exact non-negative decimal string; `""`/missing → undefined. Trimmed `s`. */
function checkDecimal(s: string | undefined): Checked<string> {
  if (s === undefined || s === "") return undefined;
  return /^[0-9]{1,30}(?:\.[0-9]{1,10})?$/.test(s) ? s : INVALID;
}

/** A zod string field (trimmed, optional) checked by `check`, refused with `message`. */
function checkedString(check: (s: string | undefined) => Checked<string>, message: string) {
  return z.string().trim().optional().transform((s, ctx) => {
    const checked = check(s);
    if (checked === INVALID) {
      ctx.addIssue({ code: "custom", message });
      return z.NEVER;
    }
    return checked;
  });
}

const optionalId = checkedString(checkId, "expected an integer id (digits only, fits a bigint)");

const requiredId = optionalId.refine((s) => s !== undefined, "an id is required")
  .transform((s) => s as string);

const unixTime = checkedString(checkUnixTime, "expected unix seconds (digits only)");

const decimal = checkedString(checkDecimal, "expected a decimal amount like 1000 or 99.90");

const text = z.string().max(MAX_TEXT).optional();

/** A list in a form body: an array, or an object with odd indices (taken in key order). */
function list<T extends z.ZodType>(item: T) {
  return z.preprocess(listItems, z.array(item));
}

/** The items of a form list: `""`/missing → none, an object → its values, else as it is. */
function listItems(v: unknown): unknown {
  return v === undefined || v === "" ? [] : isNode(v) ? Object.values(v) : v;
}

function isNode(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const customFieldValue = z.union([
  z.string().max(MAX_TEXT).transform((value): CustomFieldValue => ({ value })),
  z.object({
    // Composite field types may nest the value; keep it as JSON text rather than failing.
    value: z.unknown().optional().transform((v) =>
      v === undefined || typeof v === "string" ? v : JSON.stringify(v)
    ).pipe(z.string().max(MAX_TEXT).optional()),
    enum: text,
  }).transform((v): CustomFieldValue => strip({ value: v.value, enum: v.enum })),
]);

/** The one mapping of a checked custom field (schema and plain path alike). */
function customFieldOf(
  id: string,
  name: string | undefined,
  code: string | undefined,
  values: CustomFieldValue[],
): CustomField {
  return { ...strip({ id, name, code }), values };
}

const customField = z.object({
  id: requiredId,
  name: text,
  code: text,
  values: list(customFieldValue),
}).transform((f): CustomField => customFieldOf(f.id, f.name, f.code, f.values));

/** A raw lead item's fields once checked (before the mapping to {@link LeadFields}). */
interface CheckedLead {
  id: string;
  status_id?: string;
  old_status_id?: string;
  pipeline_id?: string;
  old_pipeline_id?: string;
  price?: string;
  name?: string;
  responsible_user_id?: string;
  created_at?: string;
  date_create?: string;
  updated_at?: string;
  last_modified?: string;
  custom_fields: CustomField[];
}

/** The one mapping of a checked lead item (schema and plain path alike). */
function leadFieldsOf(r: CheckedLead): LeadFields {
  return {
    ...strip({
      leadId: r.id,
      statusId: r.status_id,
      oldStatusId: r.old_status_id,
      pipelineId: r.pipeline_id,
      oldPipelineId: r.old_pipeline_id,
      price: r.price,
      name: r.name,
      responsibleUserId: r.responsible_user_id,
      createdAt: r.created_at ?? r.date_create,
      updatedAt: r.updated_at ?? r.last_modified,
    }),
    customFields: r.custom_fields,
  };
}

/** One lead item (`leads[<action>][<i>]`) → {@link LeadFields}. Unknown keys are dropped. */
export const RawLeadSchema = z.object({
  id: requiredId,
  status_id: optionalId,
  old_status_id: optionalId,
  pipeline_id: optionalId,
  old_pipeline_id: optionalId,
  price: decimal,
  name: text,
  responsible_user_id: optionalId,
  created_at: unixTime,
  date_create: unixTime,
  updated_at: unixTime,
  last_modified: unixTime,
  custom_fields: list(customField),
}).transform(leadFieldsOf);

/**
 * {@link RawLeadSchema}'s answer for an item every field of which passes its check plainly (the
 * same checks and mapping, without zod's object parse: ~2× cheaper a webhook), or undefined: then
 * the caller parses it with the schema, for its issues and paths. Never a different answer
 * (`tests/unit/amocrm/plain-lead.test.ts` compares the two).
 */
export function plainLead(raw: unknown): LeadFields | undefined {
  if (!isNode(raw)) return undefined;
  const id = plainChecked(raw.id, checkId);
  if (id === INVALID || id === undefined) return undefined;
  const r: CheckedLead = { id, custom_fields: [] };
  for (const key of ID_KEYS) {
    const v = plainChecked(raw[key], checkId);
    if (v === INVALID) return undefined;
    r[key] = v;
  }
  for (const key of TIME_KEYS) {
    const v = plainChecked(raw[key], checkUnixTime);
    if (v === INVALID) return undefined;
    r[key] = v;
  }
  const price = plainChecked(raw.price, checkDecimal);
  if (price === INVALID) return undefined;
  r.price = price;
  const name = plainText(raw.name);
  if (name === INVALID) return undefined;
  r.name = name;
  const fields = listItems(raw.custom_fields);
  if (!Array.isArray(fields)) return undefined;
  for (const field of fields) {
    const checked = plainCustomField(field);
    if (checked === undefined) return undefined;
    r.custom_fields.push(checked);
  }
  return leadFieldsOf(r);
}

const ID_KEYS = [
  "status_id",
  "old_status_id",
  "pipeline_id",
  "old_pipeline_id",
  "responsible_user_id",
] as const;
const TIME_KEYS = ["created_at", "date_create", "updated_at", "last_modified"] as const;

/** A trimmed optional string field through `check`; anything but a string or undefined refused. */
function plainChecked(
  v: unknown,
  check: (s: string | undefined) => Checked<string>,
): Checked<string> {
  if (v === undefined) return check(undefined);
  return typeof v === "string" ? check(v.trim()) : INVALID;
}

/** `text`: an optional string of at most MAX_TEXT characters, as it is. */
function plainText(v: unknown): Checked<string> {
  return v === undefined || (typeof v === "string" && v.length <= MAX_TEXT) ? v : INVALID;
}

/** `customField` plainly: undefined when it does not pass (the schema then says why). */
function plainCustomField(raw: unknown): CustomField | undefined {
  if (!isNode(raw)) return undefined;
  const id = plainChecked(raw.id, checkId);
  const name = plainText(raw.name);
  const code = plainText(raw.code);
  if (id === INVALID || id === undefined || name === INVALID || code === INVALID) return undefined;
  const items = listItems(raw.values);
  if (!Array.isArray(items)) return undefined;
  const values: CustomFieldValue[] = [];
  for (const item of items) {
    if (typeof item === "string") {
      if (item.length > MAX_TEXT) return undefined;
      values.push({ value: item });
      continue;
    }
    // The object form with a plain string (or no) value; a nested value takes the schema.
    if (!isNode(item)) return undefined;
    const value = plainText(item.value);
    const enumValue = plainText(item.enum);
    if (value === INVALID || enumValue === INVALID) return undefined;
    values.push(strip({ value, enum: enumValue }));
  }
  return customFieldOf(id, name, code, values);
}

/** The `account` block → {@link Account}; `_links` and unknown keys are dropped. */
export const RawAccountSchema = z.object({
  id: optionalId,
  subdomain: z.string().trim().max(255).optional(),
}).transform((a): Account => strip({ id: a.id, subdomain: a.subdomain || undefined }));

/** Drops keys whose value is `undefined`, so results compare and serialize cleanly. */
function strip<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}
