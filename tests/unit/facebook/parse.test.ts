import assert from "node:assert/strict";
import {
  insightRowSchema,
  parseGraphJson,
} from "../../../supabase/functions/_shared/facebook/mod.ts";
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
