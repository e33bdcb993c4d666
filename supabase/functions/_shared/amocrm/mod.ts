/**
 * AmoCRM webhook library: pure code (no database, no network) that turns an account webhook body
 * into typed, validated lead events.
 *
 * ```ts
 * const res = parseWebhook(await req.text());
 * if (!res.ok) throw new HttpError(400, "invalid_webhook", res.error);
 * const key = await sha256Hex(body); // store each body once (_shared/hash.ts)
 * ```
 *
 * @module
 */
export {
  buildForm,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_KEYS,
  type FormInput,
  type FormObject,
  type FormValue,
  type ParseError,
  type ParseErrorCode,
  parseForm,
  type ParseOptions,
  type ParseResult,
} from "./form.ts";
export {
  type Account,
  type CustomField,
  type CustomFieldValue,
  LEAD_ACTIONS,
  LEAD_FIELDS,
  type LeadAction,
  type LeadEvent,
  type LeadFields,
  plainLead,
  RawAccountSchema,
  RawLeadSchema,
  type Utm,
} from "./schema.ts";
export {
  extractUtm,
  type IgnoredGroup,
  parseWebhook,
  type Webhook,
  type WebhookResult,
} from "./webhook.ts";
