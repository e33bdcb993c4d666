import assert from "node:assert/strict";
import {
  insightRowSchema,
  parseGraphJson,
} from "../../../supabase/functions/_shared/facebook/mod.ts";
import {
  insightsPageSchema,
  parseInsightsPage,
} from "../../../supabase/functions/_shared/facebook/parse.ts";
import { normalizeDecimal } from "../../../supabase/functions/_shared/decimal.ts";
import { fixture } from "./helpers.ts";

Deno.test("normalizeDecimal() gives one canonical exact form and rejects non-decimals", () => {
  const ok: [string, string][] = [
    ["14.35", "14.35"],
    ["0.97", "0.97"],
    ["14.350", "14.35"],
    ["14.00", "14"],
    ["007.50", "7.5"],
    ["0", "0"],
    ["0.00", "0"],
    ["123456789012345678901234.000000001", "123456789012345678901234.000000001"],
  ];
  for (const [input, out] of ok) assert.equal(normalizeDecimal(input), out, input);
  for (const bad of ["", " 1", "1.", ".5", "-1", "+1", "1e3", "1,5", "NaN", "Infinity"]) {
    assert.equal(normalizeDecimal(bad), null, bad);
  }
});

Deno.test("parseGraphJson() keeps ids and metrics exact when they are JSON numbers", () => {
  const v = parseGraphJson(
    '{"data":[{"ad_id":23854695759200549,"spend":0.10,"impressions":7}],"error_code":12}',
  ) as { data: Record<string, unknown>[]; error_code: number };
  assert.deepEqual(v.data[0], { ad_id: "23854695759200549", spend: "0.10", impressions: "7" });
  assert.equal(v.error_code, 12); // other numbers stay numbers
  assert.throws(() => parseGraphJson("<html>"), SyntaxError);
});

Deno.test("insightRowSchema defaults omitted metrics without inventing reach", () => {
  const row = fixture<{ data: Record<string, unknown>[] }>("insights-page-last.json").data[0];
  const { spend: _s, impressions: _i, clicks: _c, reach: _r, ...bare } = row;
  const parsed = insightRowSchema.parse(bare);
  assert.equal(parsed.spend, "0");
  assert.equal(parsed.impressions, 0);
  assert.equal(parsed.clicks, 0);
  assert.equal(parsed.reach, null);
});

Deno.test("insightRowSchema rejects numeric ids, unsafe counts and malformed dates", () => {
  const row = fixture<{ data: Record<string, unknown>[] }>("insights-page-last.json").data[0];
  for (
    const patch of [
      { ad_id: 23854695759200549 },
      { campaign_id: "" },
      { impressions: "9007199254740993" },
      { date_start: "01.05.2026" },
      { account_currency: "usd" },
    ]
  ) {
    assert.equal(
      insightRowSchema.safeParse({ ...row, ...patch }).success,
      false,
      JSON.stringify(patch),
    );
  }
});

Deno.test("parseInsightsPage() answers as insightsPageSchema does, field by field at every edge", () => {
  const page = fixture<{ data: Record<string, unknown>[]; paging?: unknown }>(
    "insights-page-last.json",
  );
  const row = {
    ...page.data[0],
    actions: [
      { action_type: "lead", value: "2" },
      { action_type: "link_click", value: "70", "1d_click": "69" },
      { action_type: "lead", value: "3.50" },
    ],
    cost_per_action_type: [{ action_type: "lead", value: "4.2690" }],
  };
  const same = (body: unknown, what: string) => {
    const plain = parseInsightsPage(body);
    const schema = insightsPageSchema.safeParse(body);
    assert.equal(plain.success, schema.success, `${what}: accepted by one only`);
    if (schema.success) assert.deepStrictEqual(plain.data, schema.data, what);
    else assert.deepStrictEqual(plain.error?.issues, schema.error.issues, what);
    return plain.success;
  };
  // Each field: absent, null, a number, an empty string, and text on either side of its rule.
  const values: Record<string, unknown[]> = {
    account_id: ["901", "0", "", "9".repeat(32), "9".repeat(33), "12a", 901],
    campaign_id: ["1", " 1", "1 ", -1],
    adset_id: ["2", "2.0"],
    ad_id: ["23854695759200549", 23854695759200549, "٣"],
    account_name: ["A", "", 1, false],
    campaign_name: ["C", {}],
    adset_name: ["S", []],
    ad_name: ["Ad", 0],
    account_currency: ["USD", "usd", "US", "USDT", ""],
    date_start: ["2026-05-01", "2026-5-01", "01.05.2026", "2026-05-01T00:00"],
    date_stop: ["2026-05-01", ""],
    spend: ["0", "14.350", "007.50", "1.", ".5", "-1", "1e3", 14.35, ""],
    impressions: ["0", "9007199254740991", "9007199254740993", "1".repeat(17), "-1", "1.0", 7],
    clicks: ["3", "03", "x"],
    reach: ["90", "9007199254740993", ""],
    actions: [
      [],
      [{ action_type: "lead" }],
      [{ action_type: "lead", value: "-1" }],
      [{
        action_type: "a".repeat(201),
        value: "1",
      }],
      [{ action_type: "lead ", value: "1" }],
      [null],
      {},
      "lead",
    ],
    cost_per_action_type: [[], [{ action_type: "lead", value: "x" }], [{ value: "1" }], 5],
  };
  // Every field of the schema has its edge cases here, so a field added to the schema (or made
  // nullish) without the same in plainInsightRow fails below (review R9 M3).
  assert.deepEqual(Object.keys(values).sort(), Object.keys(insightRowSchema.in.shape).sort());
  let accepted = 0, refused = 0;
  for (const [key, vs] of Object.entries(values)) {
    for (const v of [undefined, null, ...vs]) {
      const r: Record<string, unknown> = { ...row, [key]: v };
      if (v === undefined) delete r[key];
      const what = `${key} = ${v === undefined ? "(absent)" : JSON.stringify(v)}`;
      if (same({ data: [row, r, row], paging: page.paging }, what)) accepted++;
      else refused++;
    }
  }
  assert.ok(accepted > 30 && refused > 50, `${accepted} accepted, ${refused} refused`);
  // The page around the rows: paging present, absent, or malformed; not an object.
  same({ data: [row] }, "no paging");
  same({ data: [], paging: { next: "https://graph.facebook.com/x", extra: 1 } }, "paging");
  same({ data: [row], paging: { cursors: { after: 5 } } }, "a numeric cursor");
  same({ data: [row], summary: { total: 1 } }, "another key");
  same({ data: row }, "data not a list");
  same([row], "a list, not a page");
  same(null, "null");
  same({ data: [row, [row]] }, "a row that is a list");
});
