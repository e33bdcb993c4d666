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

/**
 * `""`/missing → undefined; otherwise digits only, leading zeros dropped, and small enough for a
 * Postgres `bigint` (compared as text, never through a float).
 */
const optionalId = z.string().trim().optional().transform((s, ctx) => {
  if (s === undefined || s === "") return undefined;
  const id = /^[0-9]+$/.test(s) ? s.replace(/^0+(?=[0-9])/, "") : "";
  const fits = id.length < BIGINT_MAX.length ||
    (id.length === BIGINT_MAX.length && id <= BIGINT_MAX);
  if (!id || !fits) {
    ctx.addIssue({
      code: "custom",
      message: "expected an integer id (digits only, fits a bigint)",
    });
    return z.NEVER;
  }
  return id;
});

const requiredId = optionalId.refine((s) => s !== undefined, "an id is required")
  .transform((s) => s as string);

/** Unix seconds → ISO UTC; `""`/missing → undefined; non-digits are an error. */
const unixTime = z.string().trim().optional().transform((s, ctx) => {
  if (s === undefined || s === "") return undefined;
  if (!/^[0-9]{1,11}$/.test(s)) {
    ctx.addIssue({ code: "custom", message: "expected unix seconds (digits only)" });
    return z.NEVER;
  }
  return new Date(Number(s) * 1000).toISOString();
});

/** An exact non-negative decimal string; `""`/missing → undefined. */
const decimal = z.string().trim().optional().transform((s, ctx) => {
  if (s === undefined || s === "") return undefined;
  if (!/^[0-9]{1,30}(?:\.[0-9]{1,10})?$/.test(s)) {
    ctx.addIssue({ code: "custom", message: "expected a decimal amount like 1000 or 99.90" });
    return z.NEVER;
  }
  return s;
});

const text = z.string().max(MAX_TEXT).optional();

/** A list in a form body: an array, or an object with odd indices (taken in key order). */
function list<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (v) => (v === undefined || v === "" ? [] : isNode(v) ? Object.values(v) : v),
    z.array(item),
  );
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

const customField = z.object({
  id: requiredId,
  name: text,
  code: text,
  values: list(customFieldValue),
}).transform((f): CustomField => ({
  ...strip({ id: f.id, name: f.name, code: f.code }),
  values: f.values,
}));

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
}).transform((r): LeadFields => ({
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
}));

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
