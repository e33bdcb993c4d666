/**
 * The per-day totals (migration 20261207113500) take no shared row lock: two webhooks writing
 * leads of the same day at once, each in its own open transaction, both go through (the second
 * does not wait for the first: `lock_timeout` would fail it), a fold running while both are open
 * folds neither, and once both commit the day's total is the rollup's sum again.
 */
import assert from "node:assert/strict";
import { createUser, db } from "../helpers/stack.ts";

const DAY = "2034-05-06";
const sqlA = db(), sqlB = db(), sql = db();
const opts = { sanitizeResources: false, sanitizeOps: false };
const ids = [93_000_001, 93_000_002, 93_000_003];

async function totals() {
  const [r] = await sql`select
      (select coalesce(sum(leads), 0)::int from private.traffic_leads_day_totals
        where day = ${DAY}) as total,
      (select coalesce(sum(leads), 0)::int from private.traffic_leads_by_day
        where day = ${DAY}) as rollup`;
  return r;
}

Deno.test({
  ...opts,
  name: "two open transactions append leads of one day at once; a fold between; the total adds up",
  fn: async () => {
    const a = await createUser(sql), b = await createUser(sql);
    const lead = (tx: typeof sql, id: number, user: string) =>
      tx`insert into public.traffic_leads (amocrm_lead_id, product, utm_source, user_id,
          created_at)
        values (${id}, 'express', 'facebook', ${user}, ${`${DAY} 12:00+05`})`;
    await lead(sql, ids[0], a.id);
    let aWrote!: () => void;
    const wroteA = new Promise<void>((ok) => aWrote = ok);
    let release!: () => void;
    const gate = new Promise<void>((ok) => release = ok);
    const t1 = sqlA.begin(async (tx) => {
      await lead(tx as unknown as typeof sql, ids[1], a.id);
      aWrote();
      await gate;
    });
    await wroteA;
    // T2 writes the same day while T1 is open: with a common row it would wait, and fail here.
    const t2 = sqlB.begin(async (tx) => {
      await tx`set local lock_timeout = '5s'`;
      await lead(tx as unknown as typeof sql, ids[2], b.id);
      // A fold now sees neither open delta: it folds only committed rows.
      await sql`select private.traffic_fold_day_totals()`;
    });
    await t2;
    assert.deepEqual(await totals(), { total: 2, rollup: 2 }, "T2 and the first lead committed");
    release();
    await t1;
    assert.deepEqual(await totals(), { total: 3, rollup: 3 }, "all three leads, counted once");
    // The fold takes its lock with a try: when the minute job (pg_cron traffic-fold-day-totals)
    // holds it, this call returns 0 and that run folds instead; so fold until the job is out of
    // the way (a few tries at most), then the day must be one row.
    let rows = 0;
    for (let attempt = 0; attempt < 20; attempt++) {
      await sql`select private.traffic_fold_day_totals()`;
      const [r] = await sql`select count(*)::int as n from private.traffic_leads_day_totals
        where day = ${DAY}`;
      rows = r.n;
      if (rows === 1) break;
      await new Promise((ok) => setTimeout(ok, 100));
    }
    assert.equal(rows, 1, "folded into one row");
    assert.deepEqual(await totals(), { total: 3, rollup: 3 }, "the fold changed no sum");
  },
});

Deno.test({
  ...opts,
  name: "cleanup",
  fn: async () => {
    await sql`delete from public.traffic_leads where amocrm_lead_id = any(${ids})`;
    const [r] = await sql`select coalesce(sum(leads), 0)::int as n
      from private.traffic_leads_day_totals where day = ${DAY}`;
    assert.equal(r.n, 0, "deleting the leads takes them out of the total");
    await Promise.all([sqlA.end(), sqlB.end(), sql.end()]);
  },
});
