/**
 * Meta-reported conversions on the local stack: fb-ads-sync asks the (fake) Graph API for
 * `actions` and `cost_per_action_type` in the same insights call, stores every action type of
 * every ad-day exactly, derives meta_leads with one rule (per ad-day, the first type of the
 * account's lead list Meta reported: overlapping types are never added up), re-syncs without a
 * change, follows revisions and vanished types, and honours a per-account lead list.
 */
import assert from "node:assert/strict";
import { dateWindow } from "../../supabase/functions/_shared/facebook/mod.ts";
import { normalizeDecimal } from "../../supabase/functions/_shared/decimal.ts";
import {
  daysBetween,
  expectedRows,
  type FakeAccount,
  grant,
  graphModel,
  makeAccount,
  type Metrics,
  serveGraphApi,
} from "../fakes/graph-api.ts";
import { graphUrl, syncOne } from "../helpers/fb-ads-sync.ts";
import { createUser, db, type TestUser } from "../helpers/stack.ts";

const sql = db();
const opts = { sanitizeResources: false, sanitizeOps: false };
const tag = crypto.randomUUID().slice(0, 8);
const TOKEN = `tok-M-${tag}-secret`;
const n = 100000 + Math.floor(Math.random() * 800000);
const model = graphModel();
const acc1 = makeAccount({ id: `${n}5`, campaigns: 2, adsPerCampaign: 3 });
const acc2 = makeAccount({ id: `${n}6`, campaigns: 1, adsPerCampaign: 4, currency: "KZT" });
grant(model, TOKEN, acc1, acc2);
const fake = serveGraphApi(model, Number(graphUrl().port));
let user: TestUser;
const DEFAULT_TYPES = [
  "lead",
  "onsite_conversion.lead_grouped",
  "leadgen_grouped",
  "offsite_conversion.fb_pixel_lead",
];
const LEAD_TYPES = new Set(DEFAULT_TYPES);

const window = () => dateWindow({ days: 3, tz: "Asia/Almaty" });

/** What traffic_facebook_ad_actions should hold, `ad|day|type` → `value cost`. */
function expectedActions(accounts: FakeAccount[]) {
  const { since, until } = window();
  const out = new Map<string, string>();
  for (const account of accounts) {
    for (const r of expectedRows(model, account, account.ads, daysBetween(since, until))) {
      const m = r as unknown as Metrics & { ad_id: string; date_start: string };
      const cost = new Map((m.cost_per_action_type ?? []).map((c) => [c.action_type, c.value]));
      for (const a of m.actions ?? []) {
        const c = cost.get(a.action_type);
        out.set(
          `${m.ad_id}|${m.date_start}|${a.action_type}`,
          `${normalizeDecimal(a.value)} ${c === undefined ? null : normalizeDecimal(c)}`,
        );
      }
    }
  }
  return out;
}

/** The rule, written independently of the SQL: per ad-day the first listed type present. */
function expectedLeads(accounts: { account: FakeAccount; types: string[] }[]) {
  const { since, until } = window();
  const byAd = new Map<string, string>();
  for (const { account, types } of accounts) {
    for (const r of expectedRows(model, account, account.ads, daysBetween(since, until))) {
      const m = r as unknown as Metrics & { ad_id: string; date_start: string };
      const values = new Map((m.actions ?? []).map((a) => [a.action_type, a.value]));
      const first = types.find((t) => values.has(t));
      if (first) byAd.set(`${m.ad_id}|${m.date_start}`, `${first} ${values.get(first)}`);
    }
  }
  return byAd;
}

async function storedActions() {
  const rows = await sql`select ad_id, stat_date::text as day, action_type, value::text,
      cost_per_action::text as cost, synced_at
    from traffic_facebook_ad_actions where user_id = ${user.id}
    order by ad_id, stat_date, action_type`;
  return rows;
}
const actionsView = (rows: Awaited<ReturnType<typeof storedActions>>) =>
  new Map(rows.map((r) => [`${r.ad_id}|${r.day}|${r.action_type}`, `${r.value} ${r.cost}`]));

async function storedLeads() {
  const rows = await sql`select ad_id, stat_date::text as day, action_type, meta_leads::text
    from traffic_meta_leads_by_ad where user_id = ${user.id}`;
  return new Map(rows.map((r) => [`${r.ad_id}|${r.day}`, `${r.action_type} ${r.meta_leads}`]));
}

/** traffic_meta_leads_daily equals the per-ad rows summed per day. */
async function assertDailyRollup() {
  const daily = await sql`select stat_date::text as day, meta_leads::text, ad_rows
    from traffic_meta_leads_daily where user_id = ${user.id} order by stat_date`;
  const sums = await sql`select stat_date::text as day, sum(meta_leads)::text as meta_leads,
      count(*)::int as ad_rows
    from traffic_meta_leads_by_ad where user_id = ${user.id} group by stat_date order by stat_date`;
  assert.deepEqual(daily, sums);
}

Deno.test({
  ...opts,
  name: "fb-ads-sync stores every action type of every ad-day exactly, in the same Graph calls",
  fn: async () => {
    user = await createUser(sql);
    await sql`insert into traffic_targetologist_settings
        (user_id, team_name, facebook_access_token, fb_ad_accounts)
      values (${user.id}, ${`itest meta ${tag}`}, ${TOKEN}, ${[`act_${acc1.id}`, acc2.id]})`;
    const callsBefore = fake.calls.length;
    const r = await syncOne(user.id);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.success, true, r.text);
    // 10 ads x 3 days fit one page per account: 2 calls, each asking for the action fields.
    const calls = fake.calls.slice(callsBefore);
    assert.equal(calls.length, 2);
    for (const c of calls) {
      const fields = c.url.searchParams.get("fields")!.split(",");
      assert.ok(fields.includes("actions") && fields.includes("cost_per_action_type"));
    }
    const want = expectedActions([acc1, acc2]);
    assert.ok(want.size > 60, `the fake reports actions (${want.size})`);
    assert.deepEqual(actionsView(await storedActions()), want);
  },
});

Deno.test({
  ...opts,
  name: "meta_leads takes the first lead type present per ad-day and never adds overlapping types",
  fn: async () => {
    const want = expectedLeads([
      { account: acc1, types: DEFAULT_TYPES },
      { account: acc2, types: DEFAULT_TYPES },
    ]);
    const got = await storedLeads();
    assert.deepEqual(got, want);
    // The data holds the overlaps the rule exists for: ad-days with lead + its parts, and ad-days
    // without Meta's total where form and pixel leads are both present.
    const rows = await storedActions();
    const types = new Map<string, string[]>();
    for (const r of rows) {
      const k = `${r.ad_id}|${r.day}`;
      types.set(k, [...(types.get(k) ?? []), r.action_type]);
    }
    const overlapping = [...types.values()].filter((t) => t.includes("lead") && t.length > 2);
    assert.ok(overlapping.length > 0, "ad-days where `lead` overlaps its parts");
    const naive = rows.filter((r) => LEAD_TYPES.has(r.action_type))
      .reduce((s, r) => s + Number(r.value), 0);
    const ruled = [...got.values()].reduce((s, v) => s + Number(v.split(" ")[1]), 0);
    assert.ok(ruled > 0 && ruled < naive, `rule ${ruled} < sum of every lead type ${naive}`);
    await assertDailyRollup();
  },
});

Deno.test({
  ...opts,
  name: "a re-sync changes nothing; a revised value updates and a vanished type is removed",
  fn: async () => {
    const before = await storedActions();
    const again = await syncOne(user.id);
    assert.equal(again.json.rows_changed, 0, again.text);
    assert.deepEqual(await storedActions(), before, "same values and synced_at");

    const { until } = window();
    const ad = acc1.ads[0].ad_id;
    model.overrides.set(`${ad}|${until}`, {
      actions: [
        { action_type: "link_click", value: "40" },
        { action_type: "offsite_conversion.fb_pixel_lead", value: "7" },
      ],
      cost_per_action_type: [{ action_type: "offsite_conversion.fb_pixel_lead", value: "1.5" }],
    });
    const revised = await syncOne(user.id);
    assert.equal(revised.json.rows_changed, 1, revised.text);
    const after = await storedActions();
    const mine = after.filter((r) => r.ad_id === ad && r.day === until)
      .map((r) => [r.action_type, r.value, r.cost]);
    assert.deepEqual(mine, [
      ["link_click", "40", null],
      ["offsite_conversion.fb_pixel_lead", "7", "1.5"],
    ]);
    const others = (rows: typeof after) => rows.filter((r) => !(r.ad_id === ad && r.day === until));
    assert.deepEqual(others(after), others(before), "no other ad-day touched");
    assert.equal((await storedLeads()).get(`${ad}|${until}`), "offsite_conversion.fb_pixel_lead 7");
    await assertDailyRollup();

    model.overrides.set(`${ad}|${until}`, { actions: undefined, cost_per_action_type: undefined });
    await syncOne(user.id);
    assert.equal(
      (await storedActions()).filter((r) => r.ad_id === ad && r.day === until).length,
      0,
    );
    assert.equal((await storedLeads()).has(`${ad}|${until}`), false, "no actions: no Meta lead");
    await assertDailyRollup();
    model.overrides.delete(`${ad}|${until}`);
  },
});

Deno.test({
  ...opts,
  name:
    "a per-account lead list is honoured for that account only; removing it restores the default",
  fn: async () => {
    await syncOne(user.id);
    const pixelOnly = ["offsite_conversion.fb_pixel_lead"];
    await sql`insert into traffic_meta_lead_settings (account_id, lead_action_types)
      values (${acc2.id}, ${pixelOnly})`;
    try {
      assert.deepEqual(
        await storedLeads(),
        expectedLeads([
          { account: acc1, types: DEFAULT_TYPES },
          { account: acc2, types: pixelOnly },
        ]),
      );
      await assertDailyRollup();
      // A sync under the custom list derives the same.
      await syncOne(user.id);
      assert.deepEqual(
        await storedLeads(),
        expectedLeads([
          { account: acc1, types: DEFAULT_TYPES },
          { account: acc2, types: pixelOnly },
        ]),
      );
    } finally {
      await sql`delete from traffic_meta_lead_settings where account_id = ${acc2.id}`;
    }
    assert.deepEqual(
      await storedLeads(),
      expectedLeads([
        { account: acc1, types: DEFAULT_TYPES },
        { account: acc2, types: DEFAULT_TYPES },
      ]),
    );
    await assertDailyRollup();
  },
});

Deno.test({
  ...opts,
  name: "fb-ads-sync actions: cleanup",
  fn: async () => {
    await fake.server.shutdown();
    await sql.end();
  },
});
