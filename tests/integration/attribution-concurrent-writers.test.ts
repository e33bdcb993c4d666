/**
 * Page writers (fb_upsert_insights) that add ads to the ad directory at once, as fb-ads-sync does
 * with 4 pages in flight: one whose ids no other writer touches does not wait for the others
 * (they used to run one at a time behind a global lock held to commit); writers of the same ids
 * wait for each other on those ids only, and the owner rows they leave are exactly what the
 * directory says (private.traffic_attribution_owners_of); a delete still waits for every adder
 * in flight (migration 20261207143457).
 */
import assert from "node:assert/strict";
import { createUser, db, waitedOrSettled, waitForWaiterOn } from "../helpers/stack.ts";

const DAY = "2025-04-14";
const tag = crypto.randomUUID().slice(0, 8);
const sqlA = db(), sqlB = db(), sql = db();
const opts = { sanitizeResources: false, sanitizeOps: false };
const num = () => String(Math.floor(Math.random() * 1e15)).padStart(15, "1");

type Ad = { account: string; campaign: string; adset: string; ad: string };
const page = (ads: Ad[]) =>
  sql.json(ads.map((a) => ({
    account_id: a.account,
    account_currency: "USD",
    campaign_id: a.campaign,
    adset_id: a.adset,
    ad_id: a.ad,
    stat_date: DAY,
    spend: "1",
    impressions: 10,
    clicks: 1,
    reach: 9,
  })) as never);

async function targetologist(name: string) {
  const user = await createUser(sql);
  await sql`insert into traffic_targetologist_settings (user_id, team_name)
    values (${user.id}, ${`${name} ${tag}`})`;
  return user.id as string;
}

/** T1 writes `first` for `u1` and stays open until the returned `release` is called. */
async function holdPage(u1: string, first: Ad[]) {
  let wrote!: (pid: number) => void;
  const pid = new Promise<number>((ok) => wrote = ok);
  let release!: () => void;
  const gate = new Promise<void>((ok) => release = ok);
  const done = sqlA.begin(async (tx) => {
    await tx`select public.fb_upsert_insights(${u1}, ${page(first)})`;
    wrote((await tx`select pg_backend_pid() as pid`)[0].pid);
    await gate;
  });
  return { holder: await pid, release, done };
}

/** The stored owner rows of `ids` and the ones computed from the directory now. */
async function owners(ids: string[]) {
  const stored = await sql`select id, rank, level, user_id::text, shared
    from private.traffic_attribution_id_owners where id = any (${ids}) order by id`;
  const fresh = await sql`select id, rank, level, user_id::text, shared
    from private.traffic_attribution_owners_of(${ids}) order by id`;
  return { stored: [...stored], fresh: [...fresh] };
}

Deno.test({
  ...opts,
  name: "a page with new ads does not wait for another targetologist's page in flight",
  fn: async () => {
    const a = await targetologist("adder a"), b = await targetologist("adder b");
    const x = num(), y = num();
    const adX: Ad = { account: x, campaign: `c${x}`, adset: `s${x}`, ad: `d${x}` };
    const adY: Ad = { account: y, campaign: `c${y}`, adset: `s${y}`, ad: `d${y}` };
    const t1 = await holdPage(a, [adX]);
    // T2 adds other ads to the directory while T1 (which added its own) is open.
    const t2 = sqlB`select public.fb_upsert_insights(${b}, ${page([adY])}) as n`.execute();
    const first = await waitedOrSettled(sql, t1.holder, "fb_upsert_insights", t2);
    t1.release();
    await Promise.all([t1.done, t2]);
    assert.equal(first, "settled", "T2 committed while T1 was open (it used to wait for T1)");
    const ids = [adX, adY].flatMap((d) => [d.campaign, d.adset, d.ad]);
    const { stored, fresh } = await owners(ids);
    assert.equal(stored.length, 6, "each id has its owner row");
    assert.deepEqual(stored, fresh, "the owner rows are what the directory says");
    await sql`delete from auth.users where id in (${a}, ${b})`;
  },
});

Deno.test({
  ...opts,
  name:
    "two targetologists' pages that share ids, written at once, leave each id's owner what the directory says",
  fn: async () => {
    const [a, b, c] = [
      await targetologist("share a"),
      await targetologist("share b"),
      await targetologist("share c"),
    ];
    const acc = num();
    const campaign = `c${acc}`, adset = `s${acc}`;
    // A: ad d1 in adset S of campaign C. B (the same account in B's settings): ad S — A's adset
    // id as B's ad, a better level — in adset s2 of the same campaign C (a tie at that level).
    const adA: Ad = { account: acc, campaign, adset, ad: `d1${acc}` };
    const adB: Ad = { account: acc, campaign, adset: `s2${acc}`, ad: adset };
    const ids = [campaign, adset, adA.ad, adB.adset];
    const t1 = await holdPage(a, [adA]);
    const t2 = sqlB`select public.fb_upsert_insights(${b}, ${page([adB])})`.execute();
    // Until T2 waits for T1 (on the ids they share)
    await waitForWaiterOn(sql, t1.holder, "fb_upsert_insights");
    t1.release();
    await Promise.all([t1.done, t2]);
    let { stored, fresh } = await owners(ids);
    assert.deepEqual(stored, fresh, "new ids: the owner rows are what the directory says");
    const low = [a, b].sort()[0]; // uuid text order = "C" order
    const row = (id: string) => stored.find((r) => r.id === id);
    assert.deepEqual(
      { ...row(campaign) },
      { id: campaign, rank: 3, level: "campaign", user_id: low, shared: true },
      "the campaign both have: the lower user_id, shared",
    );
    assert.deepEqual(
      { ...row(adset) },
      { id: adset, rank: 1, level: "ad", user_id: b, shared: false },
      "A's adset id is B's ad: B's at the better level",
    );

    // The same over owner rows that exist: C's ad is the campaign's id (the best level) while
    // A adds another ad to campaign C (no change at the campaign level).
    const adA2: Ad = { account: acc, campaign, adset, ad: `d3${acc}` };
    const adC: Ad = { account: acc, campaign: `c4${acc}`, adset: `s4${acc}`, ad: campaign };
    const t3 = await holdPage(c, [adC]);
    const t4 = sqlB`select public.fb_upsert_insights(${a}, ${page([adA2])})`.execute();
    await waitForWaiterOn(sql, t3.holder, "fb_upsert_insights");
    t3.release();
    await Promise.all([t3.done, t4]);
    const ids2 = [...ids, adA2.ad, adC.campaign, adC.adset];
    ({ stored, fresh } = await owners(ids2));
    assert.deepEqual(stored, fresh, "existing ids: the owner rows are what the directory says");
    assert.deepEqual(
      { ...stored.find((r) => r.id === campaign) },
      { id: campaign, rank: 1, level: "ad", user_id: c, shared: false },
      "the campaign id is C's ad now",
    );
    await sql`delete from auth.users where id in (${a}, ${b}, ${c})`;
  },
});

Deno.test({
  ...opts,
  name: "a delete of an id's directory rows waits for a page that adds that id, then recomputes it",
  fn: async () => {
    const a = await targetologist("delete a"), b = await targetologist("delete b");
    const acc = num();
    const campaign = `c${acc}`;
    const adA: Ad = { account: acc, campaign, adset: `sa${acc}`, ad: `da${acc}` };
    const adB: Ad = { account: acc, campaign, adset: `sb${acc}`, ad: `db${acc}` };
    await sql`select public.fb_upsert_insights(${b}, ${page([adB])})`;
    // A adds an ad of campaign C and stays open; B's rows (B's claim on C) are deleted meanwhile.
    const t1 = await holdPage(a, [adA]);
    const del = sqlB`delete from traffic_facebook_ads_raw where user_id = ${b}`.execute();
    await waitForWaiterOn(sql, t1.holder, "delete from traffic_facebook_ads_raw");
    t1.release();
    await Promise.all([t1.done, del]);
    const ids = [campaign, adA.adset, adA.ad, adB.adset, adB.ad];
    const { stored, fresh } = await owners(ids);
    assert.deepEqual(stored, fresh, "the owner rows are what the directory says");
    assert.deepEqual(
      { ...stored.find((r) => r.id === campaign) },
      { id: campaign, rank: 3, level: "campaign", user_id: a, shared: false },
      "campaign C is A's alone (B's rows are gone; A's are kept)",
    );
    assert.equal(stored.length, 3, "B's adset and ad have no owner any more");
    await sql`delete from auth.users where id in (${a}, ${b})`;
  },
});

Deno.test({
  ...opts,
  name: "close connections",
  fn: async () => {
    await Promise.all([sqlA.end(), sqlB.end(), sql.end()]);
  },
});
