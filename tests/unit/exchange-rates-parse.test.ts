/**
 * The NBK feed parser and the decimal helpers, on recorded-shape fixtures (tests/fixtures/nbk/).
 */
import assert from "node:assert/strict";
import {
  divideDecimal,
  normalizeFeedDecimal,
  parseNbkDate,
  parseNbkRates,
  toNbkDate,
} from "../../supabase/functions/_shared/exchange-rates/mod.ts";
import {
  decodeEntities,
  findAll,
  parseXml,
} from "../../supabase/functions/_shared/exchange-rates/xml.ts";

const fixture = (name: string) =>
  Deno.readTextFileSync(new URL(`../fixtures/nbk/${name}`, import.meta.url));

Deno.test("parseNbkRates() reads every item of a real-shape day, rates per ONE unit, exact", () => {
  const day = parseNbkRates(fixture("rates-2026-11-06.xml"));
  assert.ok(day);
  assert.equal(day.date, "2026-11-06");
  assert.equal(day.rates.length, 39);
  assert.deepEqual(day.skipped, []);
  const by = Object.fromEntries(day.rates.map((r) => [r.currency, r]));
  assert.deepEqual(by.USD, {
    currency: "USD",
    fullname: "ДОЛЛАР США",
    value: "470.15",
    quant: 1,
    rateKzt: "470.15",
  });
  assert.equal(by.EUR.rateKzt, "544.3");
  assert.equal(by.JPY.rateKzt, "3.0622"); // 306.22 per 100
  assert.equal(by.UZS.rateKzt, "0.039"); // 3.9 per 100
  assert.equal(by.IRR.rateKzt, "0.01116"); // 11.16 per 1000
  assert.equal(by.AMD.rateKzt, "1.229"); // 12.29 per 10
  assert.equal(by.KWD.rateKzt, "1532.89");
});

Deno.test("parseNbkRates() ignores the channel's own <title>/<description> (only items are rates)", () => {
  const day = parseNbkRates(fixture("rates-2026-11-06.xml"));
  assert.ok(day);
  assert.ok(!day.rates.some((r) => r.currency.length !== 3));
});

Deno.test("parseNbkRates() reads a day without a publication as no rates, not an error", () => {
  const day = parseNbkRates(fixture("rates-empty-2026-11-08.xml"));
  assert.deepEqual(day, { date: "2026-11-08", rates: [], skipped: [] });
  assert.deepEqual(parseNbkRates("<rates></rates>"), { date: null, rates: [], skipped: [] });
});

Deno.test("parseNbkRates() returns null for a body that is not the feed (maintenance page)", () => {
  assert.equal(parseNbkRates(fixture("maintenance.html")), null);
  assert.equal(parseNbkRates(""), null);
  assert.equal(parseNbkRates("Service Unavailable"), null);
});

Deno.test("parseNbkRates() tolerates CDATA, attributes, prefixes, comments, decimal commas", () => {
  const bytes = Deno.readFileSync(
    new URL("../fixtures/nbk/rates-odd-2026-11-09.xml", import.meta.url),
  );
  const day = parseNbkRates(new TextDecoder("windows-1251").decode(bytes));
  assert.ok(day);
  assert.equal(day.date, "2026-11-09");
  const by = Object.fromEntries(day.rates.map((r) => [r.currency, r]));
  assert.deepEqual(Object.keys(by).sort(), ["CNY", "EUR", "JPY", "USD", "UZS"]);
  assert.equal(by.USD.rateKzt, "471.02", "the first USD wins; the duplicate is skipped");
  assert.equal(by.USD.fullname, "ДОЛЛАР США <USD>");
  assert.equal(by.EUR.rateKzt, "545.18");
  assert.equal(by.UZS.rateKzt, "0.0391");
  assert.equal(by.CNY.quant, 1, "a missing <quant> means 1");
  assert.equal(by.JPY.rateKzt, "3.065");
  assert.deepEqual(day.skipped.map((s) => s.item), [3, 4, 5, 6]);
  assert.match(day.skipped[0].reason, /is not a rate/);
  assert.match(day.skipped[1].reason, /currency code/);
  assert.match(day.skipped[2].reason, /positive integer/);
  assert.match(day.skipped[3].reason, /duplicate currency USD/);
});

Deno.test("divideDecimal() is exact for terminating quotients and rounds half-up otherwise", () => {
  const cases: [string, number, number | undefined, string][] = [
    ["470.15", 1, undefined, "470.15"],
    ["3.96", 100, undefined, "0.0396"],
    ["11.16", 1000, undefined, "0.01116"],
    ["100", 4, undefined, "25"],
    ["0.5", 8, undefined, "0.0625"],
    ["10", 3, undefined, "3.33333333333333333333"],
    ["2", 3, 2, "0.67"],
    ["1", 3, 2, "0.33"],
    ["1.23456", 1, 2, "1.23456"],
  ];
  for (const [v, d, scale, want] of cases) {
    assert.equal(divideDecimal(v, d, scale), want, `${v}/${d}`);
  }
  assert.throws(() => divideDecimal("1", 0), RangeError);
  assert.throws(() => divideDecimal("abc", 1), RangeError);
});

Deno.test("normalizeFeedDecimal() accepts dot or comma and trims zeros; rejects the rest", () => {
  assert.equal(normalizeFeedDecimal("545,180"), "545.18");
  assert.equal(normalizeFeedDecimal(" 007.50 "), "7.5");
  assert.equal(normalizeFeedDecimal("0.00"), "0");
  assert.equal(normalizeFeedDecimal("-1"), null);
  assert.equal(normalizeFeedDecimal("1e3"), null);
  assert.equal(normalizeFeedDecimal(""), null);
});

Deno.test("parseNbkDate()/toNbkDate() convert DD.MM.YYYY and refuse impossible dates", () => {
  assert.equal(parseNbkDate("06.11.2026"), "2026-11-06");
  assert.equal(parseNbkDate("29.02.2027"), null);
  assert.equal(parseNbkDate("2026-11-06"), null);
  assert.equal(toNbkDate("2026-11-06"), "06.11.2026");
  assert.throws(() => toNbkDate("06.11.2026"), RangeError);
});

Deno.test("parseXml() decodes entities, keeps CDATA verbatim and survives broken markup", () => {
  assert.equal(decodeEntities("a &amp; b &lt;c&gt; &#1044;&#x41; &bogus;"), "a & b <c> ДA &bogus;");
  const doc = parseXml("<a><b x='1>2'>t<![CDATA[<&amp;>]]></b><b/><c><b>in</b></a>");
  const bs = findAll(doc, "b");
  assert.equal(bs.length, 3);
  assert.equal(bs[0].attributes.x, "1>2");
  assert.equal(bs[0].text, "t<&amp;>");
  assert.equal(bs[2].text, "in");
});
