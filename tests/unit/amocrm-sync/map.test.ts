/** API answers → lead events in the webhook parser's shape (amocrm-sync/map.ts). */
import assert from "node:assert/strict";
import {
  buildHistory,
  mapEvents,
  mapLead,
  statusAt,
} from "../../../supabase/functions/amocrm-sync/map.ts";
import type { ApiEvent, ApiLead } from "../../../supabase/functions/_shared/amocrm/api-schema.ts";

const lead: ApiLead = {
  id: 5,
  name: "Deal",
  price: 1200,
  responsible_user_id: 9,
  status_id: 142,
  pipeline_id: 77,
  created_at: 1_000,
  updated_at: 2_000,
  custom_fields_values: [{
    field_id: 971001,
    field_name: "utm_source",
    field_code: "UTM_SOURCE",
    field_type: "text",
    values: [{ value: "fb" }],
  }],
};
const ev = (
  id: string,
  type: string,
  at: number,
  before: unknown[],
  after: unknown[],
): ApiEvent => ({
  id,
  type,
  entity_id: 5,
  entity_type: "lead",
  created_at: at,
  value_before: before,
  value_after: after,
});
const events = [
  ev("e2", "sale_field_changed", 1_700, [{ sale_field_value: { sale: 1000 } }], [{
    sale_field_value: { sale: 1200 },
  }]),
  ev("e1", "lead_status_changed", 1_500, [{ lead_status: { id: 10, pipeline_id: 77 } }], [{
    lead_status: { id: 142, pipeline_id: 77 },
  }]),
  ev("e3", "lead_deleted", 1_800, [], []),
];

Deno.test("a lead becomes an update with its whole state and UTMs, plus the add it was created with", () => {
  const history = buildHistory(events);
  const [add, snap] = mapLead(lead, history, 0);
  assert.equal(add.action, "add");
  assert.equal(add.updatedAt, new Date(1_000_000).toISOString());
  assert.equal(add.statusId, "10"); // value_before of its first status change
  assert.equal(add.price, "1000"); // value_before of its first sale change
  assert.equal(snap.action, "update");
  assert.equal(snap.price, "1200");
  assert.deepEqual(snap.utm, { source: "fb" });
  assert.deepEqual(snap.customFields, [{
    id: "971001",
    name: "utm_source",
    code: "UTM_SOURCE",
    values: [{ value: "fb" }],
  }]);
  // Created before the event window: no add (its early history is not in the window).
  assert.equal(mapLead(lead, history, 1_001).length, 1);
});

Deno.test("events: status at its time, a price change with the status of its moment, a delete at AmoCRM's time", () => {
  const history = buildHistory(events);
  const out = mapEvents(events, history);
  const byRef = new Map(out.map((e) => [e.ref, e]));
  assert.equal(byRef.get("event:e1")!.statusId, "142");
  assert.equal(byRef.get("event:e2")!.statusId, "142");
  assert.equal(byRef.get("event:e2")!.price, "1200");
  assert.equal(byRef.get("event:e3")!.action, "delete");
  // Dated, so the log orders it against a restore (migration 20261207170000).
  assert.equal(byRef.get("event:e3")!.updatedAt, new Date(1_800_000).toISOString());
  assert.deepEqual(statusAt(history, "5", 1_400, null), { id: 10, pipeline_id: 77 });
  // Mapping the same answers twice gives identical events (stored once by the log).
  assert.deepEqual(mapEvents(events, buildHistory(events)), out);
});
