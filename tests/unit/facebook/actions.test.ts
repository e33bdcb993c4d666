import assert from "node:assert/strict";
import {
  insightRowSchema,
  parseGraphJson,
} from "../../../supabase/functions/_shared/facebook/mod.ts";
import { fixture } from "./helpers.ts";

const row = () => fixture<{ data: Record<string, unknown>[] }>("insights-page-last.json").data[0];

Deno.test("actions and cost_per_action_type are joined by action type, values exact and canonical", () => {
  const parsed = insightRowSchema.parse({
    ...row(),
    actions: [
      { action_type: "link_click", value: "12" },
      { action_type: "lead", value: "5" },
      { action_type: "onsite_conversion.lead_grouped", value: "3.0" },
      // an attribution-window key Meta adds when asked: not kept
      { action_type: "offsite_conversion.fb_pixel_lead", value: "2", "7d_click": "2" },
    ],
    cost_per_action_type: [
      { action_type: "lead", value: "3.456667" },
      { action_type: "link_click", value: "1.4400" },
      // a cost without an action is dropped
      { action_type: "purchase", value: "99" },
    ],
  });
  assert.deepEqual(parsed.actions, [
    { action_type: "link_click", value: "12", cost_per_action: "1.44" },
    { action_type: "lead", value: "5", cost_per_action: "3.456667" },
    { action_type: "onsite_conversion.lead_grouped", value: "3", cost_per_action: null },
    { action_type: "offsite_conversion.fb_pixel_lead", value: "2", cost_per_action: null },
  ]);
});

Deno.test("a row without actions has none; a type listed twice keeps its last entry", () => {
  assert.deepEqual(insightRowSchema.parse(row()).actions, []);
  const twice = insightRowSchema.parse({
    ...row(),
    actions: [{ action_type: "lead", value: "1" }, { action_type: "lead", value: "4" }],
  });
  assert.deepEqual(twice.actions, [{ action_type: "lead", value: "4", cost_per_action: null }]);
});

Deno.test("malformed actions fail the row: negative or non-decimal values, odd action types", () => {
  for (
    const actions of [
      [{ action_type: "lead", value: "-1" }],
      [{ action_type: "lead", value: "1e3" }],
      [{ action_type: "lead drop table", value: "1" }],
      [{ action_type: "lead" }],
      { action_type: "lead", value: "1" },
    ]
  ) {
    assert.equal(
      insightRowSchema.safeParse({ ...row(), actions }).success,
      false,
      JSON.stringify(actions),
    );
  }
});

Deno.test("an action value sent as a JSON number is kept as its exact text", () => {
  const page = parseGraphJson(
    '{"data":[{"actions":[{"action_type":"lead","value":12345678901234567890}]}]}',
  ) as { data: { actions: { value: unknown }[] }[] };
  assert.equal(page.data[0].actions[0].value, "12345678901234567890");
});

Deno.test("a malformed action entry is reported with its path and the schema's message", () => {
  const r = insightRowSchema.safeParse({
    ...row(),
    actions: [{ action_type: "lead", value: "1" }, { action_type: "lead drop", value: "2" }],
    cost_per_action_type: [{ action_type: "lead", value: "-1" }],
  });
  assert.equal(r.success, false);
  assert.deepEqual(
    r.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
    [
      "actions.1.action_type: expected an action type",
      "cost_per_action_type.0.value: expected a non-negative decimal string",
    ],
  );
});
