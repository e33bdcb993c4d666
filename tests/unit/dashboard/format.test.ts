/** The dashboard's number formats, as people in Kazakhstan read them. */
import assert from "node:assert/strict";
import {
  changeRatio,
  formatChange,
  formatKzt,
  formatPercent,
  formatPoints,
  formatRoas,
  formatUsd,
  roundDecimal,
} from "../../../dashboard/src/format.js";

const T = "\u202f";

Deno.test("dashboard format: tenge whole with thin-space thousands and ₸", () => {
  assert.equal(formatKzt("1234567.49", "ru"), `1${T}234${T}567${T}₸`);
  assert.equal(formatKzt("1234567.5", "en"), `1${T}234${T}568${T}₸`);
  assert.equal(formatKzt("999", "ru"), `999${T}₸`);
  assert.equal(formatKzt(null, "ru"), "—");
});

Deno.test("dashboard format: dollars with cents, exact from 24-digit decimal strings", () => {
  assert.equal(formatUsd("487.9999999999999999", "en"), "$488.00");
  assert.equal(formatUsd("12345.675", "en"), `$12${T}345.68`);
  assert.equal(formatUsd("12345.675", "ru"), `$12${T}345,68`);
  assert.equal(formatUsd("-3.5", "en"), "−$3.50");
  assert.equal(formatUsd("0.004", "en"), "$0.00");
});

Deno.test("dashboard format: ROAS as 2.17×, ratios as percentages", () => {
  assert.equal(formatRoas("2.1666666666666667", "en"), "2.17×");
  assert.equal(formatRoas("2.1666666666666667", "ru"), "2,17×");
  assert.equal(formatRoas(null, "en"), "—");
  assert.equal(formatPercent("0.0123456", "en"), "1.23%");
  assert.equal(formatPercent("0.5", "ru"), "50,00%");
  assert.equal(formatPercent("1", "en"), "100.00%");
});

Deno.test("dashboard format: the Meta gap, already in percent, as 37.5% / −25.0%", () => {
  assert.equal(formatPoints("37.50", "en"), "37.5%");
  assert.equal(formatPoints("71.43", "ru"), "71,4%");
  assert.equal(formatPoints("-25.00", "en"), "−25.0%");
  assert.equal(formatPoints("66.65", "en"), "66.7%");
  assert.equal(formatPoints(null, "en"), "—");
});

Deno.test("dashboard format: rounding is half away from zero on the string", () => {
  assert.equal(roundDecimal("0.125", 2), "0.13");
  assert.equal(roundDecimal("-0.125", 2), "-0.13");
  assert.equal(roundDecimal("-0.001", 2), "0.00");
  assert.equal(roundDecimal("99.995", 2), "100.00");
  assert.equal(roundDecimal("abc", 2), null);
});

Deno.test("dashboard format: change against the previous period", () => {
  assert.equal(changeRatio("150", "100"), 0.5);
  assert.equal(changeRatio("50", "100"), -0.5);
  assert.equal(changeRatio("5", "0"), null, "nothing to compare with");
  assert.equal(changeRatio("5", null), null);
  assert.equal(formatChange(0.5, "en"), "+50.0%");
  assert.equal(formatChange(-0.1234, "ru"), "−12,3%");
  assert.equal(formatChange(0, "en"), "0.0%");
});
