/**
 * Zod schemas of the AmoCRM REST API v4 answers amocrm-sync reads, as documented:
 *
 * - `GET /api/v4/leads`: `_links.next` when there is a next page, `_embedded.leads[]` with `id`,
 *   `name`, `price`, `responsible_user_id`, `status_id`, `pipeline_id`, `created_at`,
 *   `updated_at` (Unix seconds), `is_deleted`, `custom_fields_values` (null or
 *   `[{field_id, field_name, field_code, field_type, values: [{value, enum_id, enum_code}]}]`)
 *   — https://www.amocrm.com/developers/content/api_v4/leads-api/ ,
 *   https://developers.kommo.com/reference/leads-list ;
 * - `GET /api/v4/events`: `_embedded.events[]` with `id` (a string), `type`, `entity_id`,
 *   `entity_type`, `created_at`, `value_before` / `value_after` (arrays of one-key objects such
 *   as `{lead_status: {id, pipeline_id}}` or `{sale_field_value: {sale}}`)
 *   — https://www.amocrm.ru/developers/content/crm_platform/events-and-notes ;
 * - `GET /api/v4/webhooks`: `_embedded.webhooks[]` with `id`, `destination`, `disabled`,
 *   `settings` — https://www.amocrm.com/developers/content/api_v4/webhooks-2/ .
 *
 * Unknown keys are dropped; a missing required key fails the page (the run stops, nothing is
 * half-applied for that page).
 *
 * @module
 */
import { z } from "../deps.ts";

const id = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const unix = z.number().int().nonnegative().max(99_999_999_999);
const next = z.object({ next: z.object({ href: z.string() }).optional() }).partial().optional();

const fieldValue = z.object({
  value: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
  enum_id: id.nullable().optional(),
  enum_code: z.string().nullable().optional(),
});

/** One `custom_fields_values` entry. */
export const ApiCustomFieldSchema = z.object({
  field_id: id,
  field_name: z.string().max(10_000).nullable().optional(),
  field_code: z.string().max(10_000).nullable().optional(),
  field_type: z.string().nullable().optional(),
  values: z.array(fieldValue).max(1_000),
});
export type ApiCustomField = z.infer<typeof ApiCustomFieldSchema>;

/** One lead of `_embedded.leads`. `price` is an integer in AmoCRM's lead model. */
export const ApiLeadSchema = z.object({
  id,
  name: z.string().max(10_000).nullable().optional(),
  price: z.number().nonnegative().nullable().optional(),
  responsible_user_id: id.nullable().optional(),
  status_id: id.nullable().optional(),
  pipeline_id: id.nullable().optional(),
  created_at: unix.nullable().optional(),
  updated_at: unix,
  is_deleted: z.boolean().optional(),
  custom_fields_values: z.array(ApiCustomFieldSchema).max(1_000).nullable().optional(),
});
export type ApiLead = z.infer<typeof ApiLeadSchema>;

/** A page of `GET /api/v4/leads`. */
export const LeadsPageSchema = z.object({
  _links: next,
  _embedded: z.object({ leads: z.array(ApiLeadSchema).max(250) }),
});

const leadStatus = z.object({ lead_status: z.object({ id, pipeline_id: id }) });
const saleValue = z.object({
  sale_field_value: z.object({ sale: z.union([z.number(), z.string()]) }),
});

/** One event of `_embedded.events`; `value_*` entries we do not read are kept as unknown. */
export const ApiEventSchema = z.object({
  id: z.union([z.string().min(1).max(100), z.number()]).transform(String),
  type: z.string().min(1).max(200),
  entity_id: id,
  entity_type: z.string().max(100),
  created_at: unix,
  value_before: z.array(z.unknown()).nullable().optional(),
  value_after: z.array(z.unknown()).nullable().optional(),
});
export type ApiEvent = z.infer<typeof ApiEventSchema>;

/** A page of `GET /api/v4/events`. */
export const EventsPageSchema = z.object({
  _links: next,
  _embedded: z.object({ events: z.array(ApiEventSchema).max(100) }),
});

/** `{lead_status: {id, pipeline_id}}` out of a `value_before` / `value_after` array, or null. */
export function leadStatusOf(values: unknown[] | null | undefined) {
  for (const v of values ?? []) {
    const parsed = leadStatus.safeParse(v);
    if (parsed.success) return parsed.data.lead_status;
  }
  return null;
}

/** The sale amount of a `sale_field_changed` value array as an exact decimal string, or null. */
export function saleOf(values: unknown[] | null | undefined): string | null {
  for (const v of values ?? []) {
    const parsed = saleValue.safeParse(v);
    if (!parsed.success) continue;
    const s = String(parsed.data.sale_field_value.sale).trim();
    if (/^[0-9]{1,30}(?:\.[0-9]{1,10})?$/.test(s)) return s;
  }
  return null;
}

/** One webhook subscription. */
export const ApiWebhookSchema = z.object({
  id,
  destination: z.string().max(2_000),
  disabled: z.boolean(),
  settings: z.array(z.string()).max(200).optional(),
  created_at: unix.optional(),
  updated_at: unix.optional(),
});
export type ApiWebhook = z.infer<typeof ApiWebhookSchema>;

/** `GET /api/v4/webhooks`. */
export const WebhooksSchema = z.object({
  _embedded: z.object({ webhooks: z.array(ApiWebhookSchema).max(1_000) }),
});
