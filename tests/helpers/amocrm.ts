/**
 * Helpers for the amocrm-webhook integration tests: the secret and account the test stack was
 * started with (scripts/test.sh), AmoCRM-shaped bodies built with `buildForm`, unique ids, and
 * reads of the resulting lead, ledger row and event rows.
 *
 * @module
 */
import assert from "node:assert/strict";
import { buildForm, parseWebhook } from "../../supabase/functions/_shared/amocrm/mod.ts";
import { sha256Hex } from "../../supabase/functions/_shared/hash.ts";
import { storable } from "../../supabase/functions/amocrm-webhook/body.ts";
import type { TransactionSql } from "../../scripts/lib/deps.ts";
import { type db, stackEnv } from "./stack.ts";

/** The values scripts/test.sh gives the stack (the same defaults). */
export const WEBHOOK_SECRET = Deno.env.get("AMOCRM_WEBHOOK_SECRET") || "test-webhook-secret";
export const ACCOUNT = {
  id: Deno.env.get("AMOCRM_ACCOUNT_ID") || "31555001",
  subdomain: Deno.env.get("AMOCRM_SUBDOMAIN") || "kaspiacademy",
};

/** Unix seconds of the first event in a test; later events add seconds to it. */
export const T0 = 1_718_000_000;

// Below 990 000 000: the pgTAP files treat lead ids above it as their own marked rows.
const BASE = 200_000_000 + Math.floor(Math.random() * 700_000) * 1_000;
let counter = 0;
/** An id (lead, pipeline) no other test of this run uses; runs start at random bases. */
export function uniqueId(): number {
  counter += 1;
  return BASE + counter;
}

export interface LeadInput {
  id: number;
  status?: number;
  pipeline?: number;
  price?: string;
  name?: string;
  /** Seconds after T0 (updated_at); omit for delete/restore, which carry none. */
  at?: number;
  utm?: Partial<Record<"source" | "medium" | "campaign" | "content" | "term" | "fbclid", string>>;
}

const UTM_CODES = {
  source: "UTM_SOURCE",
  medium: "UTM_MEDIUM",
  campaign: "UTM_CAMPAIGN",
  content: "UTM_CONTENT",
  term: "UTM_TERM",
  fbclid: "FBCLID",
} as const;

/** One webhook body with one lead event, shaped as AmoCRM sends it. */
export function leadBody(
  action: "add" | "update" | "status" | "delete" | "restore",
  lead: LeadInput,
  account: { id?: string; subdomain?: string } = ACCOUNT,
): string {
  const customFields = Object.entries(lead.utm ?? {}).map(([k, v], i) => ({
    id: String(971000 + i),
    name: `utm_${k}`,
    values: [{ value: v }],
    code: UTM_CODES[k as keyof typeof UTM_CODES],
  }));
  const timed = lead.at === undefined ? {} : {
    last_modified: String(T0 + lead.at),
    date_create: String(T0),
    created_at: String(T0),
    updated_at: String(T0 + lead.at),
  };
  return buildForm({
    leads: {
      [action]: [{
        id: String(lead.id),
        name: lead.name,
        status_id: lead.status === undefined ? undefined : String(lead.status),
        price: lead.price,
        responsible_user_id: "10455001",
        pipeline_id: lead.pipeline === undefined ? undefined : String(lead.pipeline),
        account_id: account.id,
        custom_fields: customFields,
        ...timed,
      }],
    },
    account: { ...account, _links: { self: "https://example.invalid" } },
  });
}

/** POSTs a body to the webhook through the gateway. */
export async function send(
  body: string,
  secret: string | null = WEBHOOK_SECRET,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const url = new URL(`${stackEnv().SUPABASE_URL}/functions/v1/amocrm-webhook`);
  if (secret !== null) url.searchParams.set("secret", secret);
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body,
  });
  return { status: res.status, json: await res.json() };
}

type Sql = ReturnType<typeof db>;

/** Maps a pipeline to a product (direct SQL, as an admin would). */
export async function mapPipeline(
  sql: Sql,
  pipelineId: number,
  product: "challenge3d" | "express" | "intensive1d",
  prepayment: number[] = [],
): Promise<void> {
  await sql`insert into public.traffic_amocrm_pipelines (pipeline_id, name, product,
      prepayment_status_ids)
    values (${pipelineId}, ${"test " + pipelineId}, ${product}, ${prepayment})`;
}

/** The ledger row of a lead, or undefined. Amounts as text, times as ISO strings. */
export async function sale(sql: Sql, leadId: number) {
  const [row] = await sql`select product, sale_type, sale_amount::text as sale_amount,
      to_char(sold_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') as sold_at, status,
      to_char(reversed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') as reversed_at,
      reversal_reason, user_id, attributed_by
    from public.traffic_sales where amocrm_lead_id = ${leadId}`;
  return row;
}

/** The lead row of a lead, or undefined. */
export async function lead(sql: Sql, leadId: number) {
  const [row] = await sql`select pipeline_id::text, status_id::text, product, name,
      price::text as price, utm_source, utm_medium, utm_campaign, utm_content, utm_term, fbclid,
      is_deleted, user_id, attributed_by,
      to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') as created_at
    from public.traffic_leads where amocrm_lead_id = ${leadId}`;
  return row;
}

/**
 * Waits for the drain: `amocrm_drain_events(true)` queues behind any drainer running (the
 * function's background drain) and processes every body still pending, so after it every body
 * answered before this call has its outcome. No timing involved.
 */
export async function drainPending(sql: Sql): Promise<void> {
  await sql`select public.amocrm_drain_events(true)`;
}

/**
 * `amocrm_receive_event` called as the function calls it for `body`, on `conn` (a connection or
 * a transaction): `process` false is the call made while the function's own drain is busy.
 */
export async function receiveEvent(conn: Sql | TransactionSql, body: string, process: boolean) {
  const parsed = parseWebhook(body);
  assert.ok(parsed.ok);
  const [{ answer }] = await conn`select public.amocrm_receive_event(${body},
      'application/x-www-form-urlencoded', ${await sha256Hex(body)},
      ${conn.json(JSON.parse(JSON.stringify(storable(parsed.webhook))))}, ${ACCOUNT.id},
      ${ACCOUNT.subdomain}, ${parsed.webhook.events.length}, ${process}) as answer`;
  return answer as { status: string };
}

/** The stored event row of a body, or undefined. */
export async function eventOf(sql: Sql, body: string) {
  const [row] = await sql`select id::int, status, error, attempts, event_count
    from public.traffic_amocrm_events where body_sha256 = ${await sha256Hex(body)}`;
  return row;
}

/** Seconds after T0 as the ISO string `sale()` returns. */
export function iso(at: number): string {
  return new Date((T0 + at) * 1000).toISOString().slice(0, 19);
}
