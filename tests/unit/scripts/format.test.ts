import assert from "node:assert/strict";
import { formatKzt, formatRoas, formatUsd, roundDecimal } from "../../../scripts/lib/format.ts";
import { addDays, localDate } from "../../../supabase/functions/_shared/dates.ts";

Deno.test("roundDecimal() rounds half up on the decimal string, never through a float sum", () => {
  assert.equal(roundDecimal("0.125", 2), "0.13");
  assert.equal(roundDecimal("1.005", 2), "1.01"); // 1.005 as a float rounds to 1.00
  assert.equal(roundDecimal("59000", 0), "59000");
  assert.equal(roundDecimal("-0.004", 2), "0.00");
  assert.equal(roundDecimal("-2.5", 0), "-3");
  assert.equal(roundDecimal(null), "—");
});

Deno.test("formatKzt(), formatUsd() and formatRoas() render the seed's display style", () => {
  assert.equal(formatKzt("59000.40"), "59,000 ₸");
  assert.equal(formatUsd("1234.565"), "$1,234.57");
  assert.equal(formatRoas("0.0512"), "0.05x");
  assert.equal(formatRoas(null), "—");
});

Deno.test("localDate() is already tomorrow in Almaty at 19:00 UTC", () => {
  assert.equal(localDate(new Date("2026-11-27T18:59:59Z"), "Asia/Almaty"), "2026-11-27");
  assert.equal(localDate(new Date("2026-11-27T19:00:00Z"), "Asia/Almaty"), "2026-11-28");
  assert.equal(addDays("2026-03-01", -1), "2026-02-28");
});
