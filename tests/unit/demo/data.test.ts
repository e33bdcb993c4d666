/** The demo data builder produces the figures docs/demo.md documents. */
import assert from "node:assert/strict";
import { adSpend, nbkRates, TEAMS } from "../../../scripts/demo/data.ts";
import { crmBodies, demoLeads } from "../../../scripts/demo/crm.ts";
import { expectedFigures } from "../../../scripts/demo/summary.ts";

// A Saturday, late in the day: nothing of today is squeezed.
const TODAY = "2026-11-28";
const NOW = Date.parse("2026-11-28T23:30:00+05:00");

Deno.test("demo: 300 leads, one refund, deterministic bodies", () => {
  const leads = demoLeads(TODAY, NOW);
  assert.equal(leads.length, 30 * (4 + 3 + 3));
  const refunds = leads.filter((l) => l.outcome === "refunded");
  assert.equal(refunds.length, 1);
  assert.equal(refunds[0].team.team_name, "Arman");
  assert.deepEqual(crmBodies(leads), crmBodies(demoLeads(TODAY, NOW)));
  assert.ok(leads.every((l) => l.events.every((e) => e.at * 1000 < NOW)));
});

Deno.test("demo: the documented 30-day figures per team", () => {
  const f = expectedFigures(TODAY, demoLeads(TODAY, NOW));
  const d30 = Object.fromEntries(f.filter((e) => e.period === "30d").map((e) => [e.team_name, e]));
  assert.deepEqual(
    [d30.Kenesary.leads, d30.Kenesary.sales, d30.Kenesary.revenue],
    [120, 34, 2_070_000],
  );
  assert.deepEqual([d30.Arman.leads, d30.Arman.sales, d30.Arman.revenue], [90, 21, 615_000]);
  assert.deepEqual([d30.Dana.leads, d30.Dana.sales, d30.Dana.revenue], [90, 28, 1_500_000]);
  assert.deepEqual(d30.Dana.spend, { USD: "476.80", EUR: "476.80" });
});

Deno.test("demo: a week of spend is 7 x the Monday budget; rates skip weekends", () => {
  const ad = TEAMS[0].accounts[0].ads[0]; // $18.00 on a Monday
  const week = [
    "2026-11-23",
    "2026-11-24",
    "2026-11-25",
    "2026-11-26",
    "2026-11-27",
    "2026-11-28",
    "2026-11-29",
  ];
  assert.equal(week.reduce((s, d) => s + Number(adSpend(ad, d)), 0).toFixed(2), "126.00");
  assert.equal(nbkRates("2026-11-28"), null);
  assert.equal(nbkRates("2026-11-29"), null);
  const fri = nbkRates("2026-11-27")!;
  assert.equal(Number(fri.EUR) - Number(fri.USD), 30);
  assert.ok(Number(fri.USD) >= 470 && Number(fri.USD) <= 490);
});
