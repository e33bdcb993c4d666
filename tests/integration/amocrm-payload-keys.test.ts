/**
 * The keys the webhook writes into `traffic_amocrm_events.payload` (TypeScript: the parser's
 * normalized events, `_shared/amocrm/schema.ts`) are the keys the SQL reads from it
 * (`private.amocrm_insert_lead_events`, the one mapping to `private.amocrm_lead_events`, called by
 * `amocrm_apply_events` for webhooks and `amocrm_sync_apply` for amocrm-sync). A key renamed
 * on one side only would otherwise be read as null, with no error anywhere. The SQL is read from
 * the running database, so it is the definition in force.
 */
import assert from "node:assert/strict";
import { buildForm, parseWebhook } from "../../supabase/functions/_shared/amocrm/mod.ts";
import { storable } from "../../supabase/functions/amocrm-webhook/body.ts";
import { db } from "../helpers/stack.ts";

const sql = db();
const opts = { sanitizeResources: false, sanitizeOps: false };

/** Keys the parser writes that no SQL needs: the previous status and pipeline of a move. */
const WRITTEN_NOT_READ = new Set(["oldStatusId", "oldPipelineId"]);

/** A body with every lead field AmoCRM may send, each UTM mark included. */
function fullBody(): string {
  const utm = ["source", "medium", "campaign", "content", "term", "fbclid"];
  return buildForm({
    leads: {
      status: [{
        id: "9001",
        name: "Every field",
        status_id: "142",
        old_status_id: "141",
        pipeline_id: "555",
        old_pipeline_id: "554",
        price: "1000.50",
        responsible_user_id: "10455001",
        created_at: "1764000000",
        updated_at: "1764000100",
        custom_fields: utm.map((k, i) => ({
          id: String(971000 + i),
          name: `utm_${k}`,
          code: k === "fbclid" ? "FBCLID" : `UTM_${k.toUpperCase()}`,
          values: [{ value: `v-${k}` }],
        })),
      }],
    },
    account: { id: "31555001", subdomain: "kaspiacademy" },
  });
}

/** Key paths of the stored events: `leadId`, `utm.source`, … */
function writtenKeys(): Set<string> {
  const parsed = parseWebhook(fullBody());
  assert.ok(parsed.ok, JSON.stringify(parsed));
  const events = storable(parsed.webhook).events as unknown as Record<string, unknown>[];
  assert.equal(events.length, 1);
  const keys = new Set<string>();
  for (const [k, v] of Object.entries(events[0])) {
    if (k === "utm") { for (const u of Object.keys(v as object)) keys.add(`utm.${u}`); }
    else keys.add(k);
  }
  return keys;
}

/** Key paths a function's SQL reads from an event `ev`: `ev ->> 'k'`, `ev -> 'utm' ->> 'k'`. */
async function readKeys(signature: string): Promise<Set<string>> {
  const [{ def }] = await sql`select pg_get_functiondef(${signature}::regprocedure) as def`;
  const keys = new Set<string>();
  for (const m of (def as string).matchAll(/\bev\s*->>?\s*'(\w+)'(?:\s*->>?\s*'(\w+)')?/g)) {
    keys.add(m[2] ? `${m[1]}.${m[2]}` : m[1]);
  }
  assert.ok(keys.size > 5, `${signature}: no event keys found in its definition`);
  return keys;
}

const sorted = (s: Iterable<string>) => [...s].sort();

Deno.test(
  "the webhook's payload keys are the keys amocrm_insert_lead_events reads",
  opts,
  async () => {
    const written = writtenKeys();
    // The mapping lives in the array form (a batch's bodies); the one-body form calls it.
    const read = await readKeys("private.amocrm_insert_lead_events(bigint[], jsonb[])");
    assert.deepEqual(sorted([...read].filter((k) => !written.has(k))), [], "read, never written");
    assert.deepEqual(
      sorted([...written].filter((k) => !read.has(k) && !WRITTEN_NOT_READ.has(k))),
      [],
      "written, never read",
    );
  },
);

Deno.test(
  "webhooks and amocrm-sync write the lead-event log through that one function",
  opts,
  async () => {
    for (
      const signature of [
        "private.amocrm_apply_events(bigint[])",
        "public.amocrm_sync_apply(jsonb)",
      ]
    ) {
      const [{ def }] = await sql`select pg_get_functiondef(${signature}::regprocedure) as def`;
      assert.match(def, /private\.amocrm_insert_lead_events\(/, signature);
      assert.doesNotMatch(def, /insert into private\.amocrm_lead_events/, signature);
    }
  },
);

Deno.test("cleanup", opts, async () => {
  await sql.end();
});
