/**
 * Meta leads add up when two transactions write the same targetologist's day at once, as
 * fb-ads-sync does with two ad accounts of one user (FB_SYNC_ACCOUNT_CONCURRENCY = 2): the second
 * writer waits for the first one's daily row and adds to it, never overwrites it. And a change of
 * an account's lead list made while a sync writes that account is applied to what the sync wrote.
 */
import assert from "node:assert/strict";
import { createUser, db, waitForWaiterOn } from "../helpers/stack.ts";

const DAY = "2025-04-14";
const tag = crypto.randomUUID().slice(0, 8);
const sqlA = db(), sqlB = db(), sql = db();
const opts = { sanitizeResources: false, sanitizeOps: false };
const num = () => String(Math.floor(Math.random() * 1e15)).padStart(15, "1");
const accX = num(), accY = num();

const page = (account: string, ad: string, actions: [string, string][]) =>
  sql.json([{
    account_id: account,
    account_currency: "USD",
    campaign_id: `9${account}`,
    adset_id: `8${account}`,
    ad_id: ad,
    stat_date: DAY,
    spend: "1",
    impressions: 10,
    clicks: 1,
    reach: 9,
    actions: actions.map(([action_type, value]) => ({ action_type, value, cost_per_action: null })),
  }] as never);

async function daily(userId: string) {
  const [r] = await sql`select
      (select meta_leads::int from traffic_meta_leads_daily
        where user_id = ${userId} and stat_date = ${DAY}) as daily,
      (select sum(meta_leads)::int from traffic_meta_leads_by_ad
        where user_id = ${userId} and stat_date = ${DAY}) as by_ad`;
  return r;
}

Deno.test({
  ...opts,
  name: "two ad accounts of one user written at once: the day's Meta leads are their sum",
  fn: async () => {
    const user = await createUser(sql);
    await sql`insert into traffic_targetologist_settings (user_id, team_name, fb_ad_accounts)
      values (${user.id}, ${`concurrent ${tag}`}, ${[accX, accY]})`;
    let firstWrote!: (pid: number) => void;
    const wrote = new Promise<number>((ok) => firstWrote = ok);
    let release!: () => void;
    const gate = new Promise<void>((ok) => release = ok);
    // T1 writes account X (3 leads) and stays open; T2 writes account Y (4 leads) meanwhile.
    const t1 = sqlA.begin(async (tx) => {
      await tx`select public.fb_upsert_insights(${user.id}, ${
        page(accX, `7${accX}`, [["lead", "3"]])
      })`;
      firstWrote((await tx`select pg_backend_pid() as pid`)[0].pid);
      await gate;
    });
    const holder1 = await wrote;
    const t2 = sqlB.begin(async (tx) => {
      await tx`select public.fb_upsert_insights(${user.id}, ${
        page(accY, `7${accY}`, [["lead", "4"]])
      })`;
    });
    // Until T2 waits for T1's daily row
    await waitForWaiterOn(sql, holder1, "fb_upsert_insights");
    release();
    await Promise.all([t1, t2]);
    assert.deepEqual(await daily(user.id), { daily: 7, by_ad: 7 }, "3 + 4, none lost");

    // The same with both rows existing (updates): X 3 -> 5 and Y 4 -> 6 at once.
    let again!: (pid: number) => void;
    const wrote2 = new Promise<number>((ok) => again = ok);
    let release2!: () => void;
    const gate2 = new Promise<void>((ok) => release2 = ok);
    const t3 = sqlA.begin(async (tx) => {
      await tx`select public.fb_upsert_insights(${user.id}, ${
        page(accX, `7${accX}`, [["lead", "5"]])
      })`;
      again((await tx`select pg_backend_pid() as pid`)[0].pid);
      await gate2;
    });
    const holder2 = await wrote2;
    const t4 = sqlB.begin(async (tx) => {
      await tx`select public.fb_upsert_insights(${user.id}, ${
        page(accY, `7${accY}`, [["lead", "6"]])
      })`;
    });
    // Until T4 waits for T3's rows
    await waitForWaiterOn(sql, holder2, "fb_upsert_insights");
    release2();
    await Promise.all([t3, t4]);
    assert.deepEqual(await daily(user.id), { daily: 11, by_ad: 11 }, "5 + 6");
    await sql`delete from auth.users where id = ${user.id}`;
  },
});

Deno.test({
  ...opts,
  name: "a lead list changed while a sync writes that account applies to what the sync wrote",
  fn: async () => {
    const user = await createUser(sql);
    await sql`insert into traffic_targetologist_settings (user_id, team_name, fb_ad_accounts)
      values (${user.id}, ${`concurrent list ${tag}`}, ${[accX]})`;
    let wroteIt!: (pid: number) => void;
    const wrote = new Promise<number>((ok) => wroteIt = ok);
    let release!: () => void;
    const gate = new Promise<void>((ok) => release = ok);
    // The sync writes lead 2 + pixel 9 (default list: lead 2) and stays open ...
    const sync = sqlA.begin(async (tx) => {
      await tx`select public.fb_upsert_insights(${user.id}, ${
        page(accX, `7${accX}`, [["lead", "2"], ["offsite_conversion.fb_pixel_lead", "9"]])
      })`;
      wroteIt((await tx`select pg_backend_pid() as pid`)[0].pid);
      await gate;
    });
    const holder3 = await wrote;
    // ... while an admin says only pixel leads count for this account.
    const change = sqlB`insert into traffic_meta_lead_settings (account_id, lead_action_types)
      values (${accX}, ${["offsite_conversion.fb_pixel_lead"]})`.execute(); // runs now
    // Until the settings change waits for the sync's rows
    await waitForWaiterOn(sql, holder3, "traffic_meta_lead_settings");
    release();
    await Promise.all([sync, change]);
    assert.deepEqual(await daily(user.id), { daily: 9, by_ad: 9 }, "the pixel leads, not `lead`");
    await sql`delete from traffic_meta_lead_settings where account_id = ${accX}`;
    assert.deepEqual(await daily(user.id), { daily: 2, by_ad: 2 }, "default list again");
    await sql`delete from auth.users where id = ${user.id}`;
  },
});

Deno.test({
  ...opts,
  name:
    "an ad-day's actions written by another transaction while a page writes it: the page's list wins whole, no error",
  fn: async () => {
    // T1 (fetched earlier) writes the ad-day's first list and stays open; a page fetched later
    // with a list that shares no type with T1's waits for T1 and replaces its list whole. (When
    // each action type was a row of its own, the two inserts did not collide and the ad-day kept
    // both lists' types: review F1 of 20261207023534.)
    const user = await createUser(sql);
    await sql`insert into traffic_targetologist_settings (user_id, team_name, fb_ad_accounts)
      values (${user.id}, ${`concurrent first ${tag}`}, ${[accX]})`;
    const ad = `6${accX}`;
    let inserted!: (pid: number) => void;
    const wrote = new Promise<number>((ok) => inserted = ok);
    let release!: () => void;
    const gate = new Promise<void>((ok) => release = ok);
    // T1 writes link_click 5 and offsite pixel lead 3 for the ad-day (fetched 08:00) ...
    const t1 = sqlA.begin(async (tx) => {
      await tx`select public.fb_upsert_insights(${user.id}, ${
        page(accX, ad, [["link_click", "5"], ["offsite_conversion.fb_pixel_lead", "3"]])
      }, '2025-04-15 08:00+00')`;
      inserted((await tx`select pg_backend_pid() as pid`)[0].pid);
      await gate;
    });
    const holder4 = await wrote;
    // ... while a page fetched later says lead 4 and nothing else for it.
    const t2 = sqlB`select public.fb_upsert_insights(${user.id}, ${
      page(accX, ad, [["lead", "4"]])
    }, '2025-04-15 09:00+00') as changed`.execute();
    // Until T2 waits for T1's row
    await waitForWaiterOn(sql, holder4, "fb_upsert_insights");
    release();
    const [, [{ changed }]] = await Promise.all([t1, t2]);
    assert.equal(changed, 1, "the ad-day is written");
    const rows = await sql`select action_type, value::text from traffic_facebook_ad_actions
      where user_id = ${user.id} and ad_id = ${ad} order by action_type`;
    assert.deepEqual(
      rows.map((r) => `${r.action_type}=${r.value}`),
      ["lead=4"],
      "the page's list replaces what T1 wrote (link_click and the pixel leads gone)",
    );
    assert.deepEqual(await daily(user.id), { daily: 4, by_ad: 4 }, "Meta leads follow");
    await sql`delete from auth.users where id = ${user.id}`;
  },
});

Deno.test({
  ...opts,
  name:
    "a page with a newer list keeps it when another transaction stored newer raw columns meanwhile",
  fn: async () => {
    // The raw columns and the list are each written when not older than the stored ones, also
    // when another writer committed the row meanwhile (the upsert used to require the raw columns
    // not to be older, and dropped the page's newer list).
    const user = await createUser(sql);
    await sql`insert into traffic_targetologist_settings (user_id, team_name, fb_ad_accounts)
      values (${user.id}, ${`concurrent raw ${tag}`}, ${[accX]})`;
    const ad = `5${accX}`;
    await sql`select public.fb_upsert_insights(${user.id}, ${
      page(accX, ad, [["lead", "1"]])
    }, '2025-04-15 08:00+00')`;
    let updated!: (pid: number) => void;
    const wrote = new Promise<number>((ok) => updated = ok);
    let release!: () => void;
    const gate = new Promise<void>((ok) => release = ok);
    // T1 stores newer raw columns (spend 9, fetched 10:00) and stays open ...
    const t1 = sqlA.begin(async (tx) => {
      await tx`update traffic_facebook_ads_raw set spend = 9, synced_at = '2025-04-15 10:00+00'
        where user_id = ${user.id} and ad_id = ${ad}`;
      updated((await tx`select pg_backend_pid() as pid`)[0].pid);
      await gate;
    });
    const holder5 = await wrote;
    // ... while a page fetched at 09:00 brings the same raw columns as stored and a new list.
    const t2 = sqlB`select public.fb_upsert_insights(${user.id}, ${
      page(accX, ad, [["lead", "3"]])
    }, '2025-04-15 09:00+00') as changed`.execute();
    // Until T2 waits for T1's row
    await waitForWaiterOn(sql, holder5, "fb_upsert_insights");
    release();
    const [, [{ changed }]] = await Promise.all([t1, t2]);
    assert.equal(changed, 1, "the ad-day's list is written");
    const [row] = await sql`select spend::text, (actions -> 'lead' ->> 0) as lead
      from traffic_facebook_ads_raw where user_id = ${user.id} and ad_id = ${ad}`;
    assert.deepEqual({ ...row }, { spend: "9", lead: "3" }, "T1's raw columns, the page's list");
    assert.deepEqual(await daily(user.id), { daily: 3, by_ad: 3 }, "Meta leads follow the list");
    await sql`delete from auth.users where id = ${user.id}`;
  },
});

Deno.test({
  ...opts,
  name: "meta leads concurrency: cleanup",
  fn: async () => {
    await Promise.all([sqlA.end(), sqlB.end(), sql.end()]);
  },
});
