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

/**
 * How each field of a lead item or a custom field is checked: the one table both the zod schemas
 * and the plain path ({@link plainLead}) are built from, so a field added here is read by both
 * (review R10 M1: a field the plain path did not know would have been dropped from every valid
 * webhook).
 */
type FieldKind = "requiredId" | "id" | "time" | "decimal" | "text" | "values" | "customFields";

/** A custom field's keys (`leads[...][custom_fields][i][...]`). Unknown keys are dropped. */
const CUSTOM_FIELD_FIELDS = {
  id: "requiredId",
  name: "text",
  code: "text",
  values: "values",
} as const satisfies Record<string, FieldKind>;

/** A lead item's keys (`leads[<action>][<i>][...]`). Unknown keys are dropped. */
export const LEAD_FIELDS = {
  id: "requiredId",
  status_id: "id",
  old_status_id: "id",
  pipeline_id: "id",
  old_pipeline_id: "id",
  price: "decimal",
  name: "text",
  responsible_user_id: "id",
  created_at: "time",
  date_create: "time",
  updated_at: "time",
  last_modified: "time",
  custom_fields: "customFields",
} as const satisfies Record<string, FieldKind>;

/** The zod schema of each kind of field but a custom-field list (which is made of them). */
const leafSchemas = {
  requiredId,
  id: optionalId,
  time: unixTime,
  decimal,
  text,
  values: list(customFieldValue),
};

/** A z.object shape from a field table and the schema of each kind. */
function shapeOf<T extends Record<string, keyof M>, M>(fields: T, schemas: M) {
  return Object.fromEntries(Object.entries(fields).map(([key, kind]) => [key, schemas[kind]])) as {
    [K in keyof T]: M[T[K]];
  };
}

const customFieldObject = z.object(shapeOf(CUSTOM_FIELD_FIELDS, leafSchemas));

/** A custom field's keys once checked (before the mapping to {@link CustomField}). */
type CheckedCustomField = z.output<typeof customFieldObject>;

/** The one mapping of a checked custom field (schema and plain path alike). */
function customFieldOf(f: CheckedCustomField): CustomField {
  return { ...strip({ id: f.id, name: f.name, code: f.code }), values: f.values };
}

const customField = customFieldObject.transform(customFieldOf);

/** The zod schema of each kind of field. */
const fieldSchemas = {
  ...leafSchemas,
  customFields: list(customField),
} satisfies Record<FieldKind, z.ZodType>;

const rawLeadObject = z.object(shapeOf(LEAD_FIELDS, fieldSchemas));

/** A raw lead item's fields once checked (before the mapping to {@link LeadFields}). */
type CheckedLead = z.output<typeof rawLeadObject>;

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
export const RawLeadSchema = rawLeadObject.transform(leadFieldsOf);

/**
 * {@link RawLeadSchema}'s answer for an item every field of which passes its check plainly (the
 * same table, checks and mapping, without zod's object parse: ~2× cheaper a webhook), or
 * undefined: then the caller parses it with the schema, for its issues and paths. Never a
 * different answer (`tests/unit/amocrm/plain-lead.test.ts` compares the two).
 */
export function plainLead(raw: unknown): LeadFields | undefined {
  const checked = plainObject(raw, LEAD_FIELDS);
  return checked === NOT_PLAIN ? undefined : leadFieldsOf(checked as CheckedLead);
}

/** What the plain path answers for a value it leaves to the schema (refused, or not plain). */
const NOT_PLAIN = Symbol("not plain");

/** Every field of `fields` checked plainly on `raw`, or NOT_PLAIN. */
function plainObject(
  raw: unknown,
  fields: Record<string, FieldKind>,
): Record<string, unknown> | typeof NOT_PLAIN {
  if (!isNode(raw)) return NOT_PLAIN;
  const out: Record<string, unknown> = {};
  for (const [key, kind] of Object.entries(fields)) {
    const value = plainField(kind, raw[key]);
    if (value === NOT_PLAIN) return NOT_PLAIN;
    out[key] = value;
  }
  return out;
}

/** One field of a kind, plainly: its checked value, or NOT_PLAIN. */
function plainField(kind: FieldKind, v: unknown): unknown {
  switch (kind) {
    case "requiredId": {
      const id = plainChecked(v, checkId);
      return id === undefined ? NOT_PLAIN : id;
    }
    case "id":
      return plainChecked(v, checkId);
    case "time":
      return plainChecked(v, checkUnixTime);
    case "decimal":
      return plainChecked(v, checkDecimal);
    case "text":
      return plainText(v);
    case "values":
      return plainList(v, plainCustomFieldValue);
    case "customFields":
      return plainList(v, (field) => {
        const checked = plainObject(field, CUSTOM_FIELD_FIELDS);
        return checked === NOT_PLAIN ? NOT_PLAIN : customFieldOf(checked as CheckedCustomField);
      });
    default:
      return kind satisfies never;
  }
}

/** A trimmed optional string through `check`; anything but a string or undefined: NOT_PLAIN. */
function plainChecked(v: unknown, check: (s: string | undefined) => Checked<string>): unknown {
  const checked = v === undefined
    ? check(undefined)
    : typeof v === "string"
    ? check(v.trim())
    : INVALID;
  return checked === INVALID ? NOT_PLAIN : checked;
}

/** `text`: an optional string of at most MAX_TEXT characters, as it is. */
function plainText(v: unknown): unknown {
  return v === undefined || (typeof v === "string" && v.length <= MAX_TEXT) ? v : NOT_PLAIN;
}

/** A form list (`listItems`) of items each checked by `item`, or NOT_PLAIN. */
function plainList(v: unknown, item: (x: unknown) => unknown): unknown {
  const items = listItems(v);
  if (!Array.isArray(items)) return NOT_PLAIN;
  const out: unknown[] = [];
  for (const x of items) {
    const checked = item(x);
    if (checked === NOT_PLAIN) return NOT_PLAIN;
    out.push(checked);
  }
  return out;
}

/** `customFieldValue` plainly: a string, or the object form with a string (or no) value. */
function plainCustomFieldValue(item: unknown): CustomFieldValue | typeof NOT_PLAIN {
  if (typeof item === "string") return item.length <= MAX_TEXT ? { value: item } : NOT_PLAIN;
  // A nested value (JSON text in the schema) is left to the schema.
  if (!isNode(item)) return NOT_PLAIN;
  const value = plainText(item.value);
  const enumValue = plainText(item.enum);
  if (value === NOT_PLAIN || enumValue === NOT_PLAIN) return NOT_PLAIN;
  return strip({ value: value as string | undefined, enum: enumValue as string | undefined });
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
