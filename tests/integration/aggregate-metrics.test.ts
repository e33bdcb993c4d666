/**
 * aggregate-metrics end to end on the local stack: through the gateway with the service key, the
 * real SQL, and a fake National Bank feed at EXCHANGE_RATES_URL (scripts/test.sh points the stack
 * there and this file serves it).
 */
import assert from "node:assert/strict";
import { pauseCronJobs } from "../helpers/cron.ts";
import { createUser, db, invokeFunction, stackEnv } from "../helpers/stack.ts";
import { startFakeNbk } from "../helpers/fake-nbk.ts";

const feedUrl = Deno.env.get("EXCHANGE_RATES_URL") ?? "";
const enabled = /^http:\/\/127\.0\.0\.1:\d+\//.test(feedUrl);
const sql = enabled ? db() : null!;
const feed = enabled ? startFakeNbk(feedUrl, new URL("../fixtures/nbk/", import.meta.url)) : null!;

function test(name: string, fn: () => Promise<void>) {
  Deno.test({
    name: `aggregate-metrics: ${name}`,
    ignore: !enabled,
    sanitizeOps: false,
    sanitizeResources: false,
    fn,
  });
}

const run = (body: Record<string, unknown>, key = stackEnv().SUPABASE_SERVICE_ROLE_KEY) =>
  invokeFunction("aggregate-metrics", {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

const history = (triggeredBy: string) =>
  sql`select sync_type, success, users_processed, records_synced, duration_ms, error_message,
        details from public.traffic_sync_history where triggered_by = ${triggeredBy}
      order by id`;

let a = "";
let b = "";
/** Puts the schedules paused by the setup back as they were (the last step). */
let resumeJobs: () => Promise<void> = async () => {};

test("setup: a clean slate, schedules paused, two targetologists with spend, leads, a sale", async () => {
  // Paused (not removed: the pgTAP files check them later) so no scheduled run interferes.
  resumeJobs = await pauseCronJobs(sql, ["aggregate-metrics", "fb-ads-sync"]);
  await sql.unsafe(`delete from public.traffic_aggregated_metrics; delete from public.traffic_sales;
    delete from public.traffic_leads; delete from public.traffic_facebook_ads_raw;
    delete from public.traffic_targetologist_settings; delete from public.exchange_rates;
    delete from public.traffic_sync_locks;`);
  a = (await createUser(sql)).id;
  b = (await createUser(sql)).id;
  await sql`insert into public.traffic_targetologist_settings (user_id, team_name)
            values (${a}, 'Alpha'), (${b}, 'Bravo')`;
  await sql`insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id,
      campaign_id, adset_id, ad_id, stat_date, spend, account_currency, impressions, clicks)
    values (${a}, 'Alpha', 'act_a', 'c-a', 'as-a', 'ad-a', '2026-11-06', 100, 'USD', 1000, 10),
           (${a}, 'Alpha', 'act_a', 'c-a', 'as-a', 'ad-a', '2026-11-08', 20, 'USD', 500, 5),
           (${a}, 'Alpha', 'act_a', 'c-a', 'as-a', 'ad-a', '2026-11-09', 10, 'USD', 100, 1),
           (${b}, 'Bravo', 'act_b', 'c-b', 'as-b', 'ad-b', '2026-11-09', 100, 'EUR', 100, 0)`;
  // 2026-11-08 19:30Z is 00:30 on 2026-11-09 in Almaty.
  await sql`insert into public.traffic_leads (amocrm_lead_id, product, utm_content, created_at)
            values (9001, 'challenge3d', 'ad-a', '2026-11-08 19:30:00+00')`;
  await sql`insert into public.traffic_sales (amocrm_lead_id, product, sale_type, sale_amount,
              sold_at, utm_content)
            values (9001, 'challenge3d', 'prepayment', 10000, '2026-11-09 05:00:00+00', 'ad-a')`;
  feed.rates.set("09.11.2026", { USD: "480", EUR: "528" });
});

test("no key 401, the anon key and a user's JWT 403", async () => {
  const none = await invokeFunction("aggregate-metrics", { method: "POST", body: "{}" });
  assert.equal(none.status, 401);
  await none.body?.cancel();
  const anon = await run({}, stackEnv().SUPABASE_ANON_KEY);
  assert.equal(anon.status, 403);
  await anon.body?.cancel();
  const user = await createUser(sql);
  const res = await run({}, user.jwt);
  assert.equal(res.status, 403);
  assert.equal((await res.json()).error.code, "forbidden");
});

test("a run fetches only the missing days, writes every row and one history row", async () => {
  feed.requests.length = 0;
  const res = await run({ today: "2026-11-09", triggered_by: "it-run" });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.deepEqual([...feed.requests].sort(), ["06.11.2026", "08.11.2026", "09.11.2026"]);
  assert.equal(body.rows_written, 9, "2 targetologists + total, x 3 periods");
  assert.equal(body.users, 2);
  assert.deepEqual(body.rates.fetched_days, ["2026-11-06", "2026-11-09"]);
  assert.ok(
    body.warnings.some((w: string) => /no official rates published for 2026-11-08/.test(w)),
  );

  const rows = await sql`select user_id, period, spend_usd::text, spend_kzt::text, leads,
      total_revenue::text, challenge3d_prepayments from public.traffic_aggregated_metrics
    order by period, user_id nulls last`;
  const get = (user: string | null, period: string) =>
    rows.find((r) => r.user_id === user && r.period === period)!;
  // A: 100 x 470.15 (Fri) + 20 x 470.15 (Sun, Friday's rate) + 10 x 480 (Mon).
  assert.equal(Number(get(a, "30d").spend_usd), 130);
  assert.equal(Number(get(a, "30d").spend_kzt), 61218);
  assert.equal(get(a, "today").leads, 1, "the 00:30 local lead is today's");
  assert.equal(Number(get(a, "today").total_revenue), 10000);
  // B: 100 EUR x 528 / 480 = 110 USD, 52800 KZT.
  assert.equal(Number(get(b, "today").spend_usd), 110);
  assert.equal(Number(get(b, "today").spend_kzt), 52800);
  assert.equal(Number(get(null, "30d").spend_kzt), 61218 + 52800);

  const [h] = await history("it-run");
  assert.equal(h.sync_type, "aggregation");
  assert.equal(h.success, true);
  assert.equal(h.users_processed, 2);
  assert.equal(h.records_synced, 9);
  assert.ok(h.duration_ms >= 0);
  assert.deepEqual(h.details.periods["7d"], ["2026-11-03", "2026-11-09"]);

  const [{ n }] = await sql`select count(*)::int as n from public.exchange_rates
                            where rate_date in ('2026-11-06', '2026-11-09')`;
  assert.equal(n, 39 + 2, "every currency of each answer is stored");
  const [usd] = await sql`select rate_kzt::text from public.exchange_rates
                          where rate_date = '2026-11-06' and currency = 'USD'`;
  assert.equal(usd.rate_kzt, "470.15");
});

test("a run with nothing new recomputes no one; sync_type full recomputes every targetologist", async () => {
  const quiet = await run({ today: "2026-11-09", triggered_by: "it-quiet" });
  const q = await quiet.json();
  assert.equal(quiet.status, 200, JSON.stringify(q));
  assert.deepEqual({ mode: q.mode, users_recomputed: q.users_recomputed }, {
    mode: "incremental",
    users_recomputed: 0,
  });
  const full = await run({ today: "2026-11-09", sync_type: "full", triggered_by: "it-full" });
  const f = await full.json();
  assert.equal(full.status, 200, JSON.stringify(f));
  assert.deepEqual({ mode: f.mode, users_recomputed: f.users_recomputed, rows: f.rows_written }, {
    mode: "full",
    users_recomputed: 2,
    rows: 9,
  });
  const [h] = await history("it-full");
  assert.deepEqual({ type: h.sync_type, mode: h.details.mode }, { type: "full", mode: "full" });
});

test("a second run while one holds the lock is refused with 409 and a skipped row", async () => {
  // The first run asks the feed for 08.11.2026 (still unpublished: every run asks for it again)
  // while it holds the lease; the feed answers only after the second run has been answered, so
  // the first run holds the lease all that time, however slow the machine.
  let answerFeed!: () => void;
  feed.holds.set("08.11.2026", new Promise<void>((ok) => answerFeed = ok));
  const first = run({ today: "2026-11-09", triggered_by: "it-first" });
  let second: Response;
  try {
    // The first run holds the lease (polled, not a fixed sleep a busy machine could outlast).
    for (let i = 0;; i++) {
      const [{ n }] = await sql`select count(*)::int as n from traffic_sync_locks
        where lock_key = 'aggregate-metrics' and locked_until > now()`;
      if (n > 0) break;
      if (i === 1500) throw new Error("the first run took no lease within ~30 s");
      await new Promise((ok) => setTimeout(ok, 20));
    }
    second = await run({ today: "2026-11-09", triggered_by: "it-second" });
  } finally {
    answerFeed();
    feed.holds.clear();
  }
  const firstRes = await first;
  assert.equal(second.status, 409);
  assert.equal((await second.json()).error.code, "run_in_progress");
  assert.equal(firstRes.status, 200);
  await firstRes.body?.cancel();
  const [skipped] = await history("it-second");
  assert.equal(skipped.success, false);
  assert.equal(skipped.details.skipped, true);
  const [done] = await history("it-first");
  assert.equal(done.success, true);
});

test("the feed down: last known rates, success, and a warning in the history", async () => {
  feed.down = true;
  await sql`insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id,
      campaign_id, ad_id, stat_date, spend, account_currency)
    values (${a}, 'Alpha', 'act_a', 'c-a', 'ad-a', '2026-11-10', 10, 'USD')`;
  const res = await run({ today: "2026-11-10", triggered_by: "it-down" });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(body.rates.source_down, true);
  assert.match(body.warnings[0], /continuing with the last known rates/);
  const [today] = await sql`select spend_kzt::text from public.traffic_aggregated_metrics
                            where user_id = ${a} and period = 'today'`;
  assert.equal(Number(today.spend_kzt), 4800, "10 USD at Monday's 480");
  const [h] = await history("it-down");
  assert.equal(h.success, true);
  assert.equal(h.details.rates.source_down, true);
  assert.match(JSON.stringify(h.details.warnings), /last known rates/);
});

test("no rate ever published for a needed currency (VND): 503, nothing written, a failed history row", async () => {
  feed.down = true;
  await sql`insert into public.traffic_facebook_ads_raw (user_id, team_name, account_id,
      campaign_id, ad_id, stat_date, spend, account_currency)
    values (${b}, 'Bravo', 'act_b2', 'c-b2', 'ad-b2', '2026-11-10', 5000, 'VND')`;
  const before = await sql`select max(updated_at) as t from public.traffic_aggregated_metrics`;
  const res = await run({ today: "2026-11-10", triggered_by: "it-missing" });
  const body = await res.json();
  assert.equal(res.status, 503);
  assert.equal(body.error.code, "missing_exchange_rate");
  assert.match(body.error.message, /no VND rate on or before 2026-11-10/);
  const after = await sql`select max(updated_at) as t from public.traffic_aggregated_metrics`;
  assert.deepEqual(after, before);
  const [h] = await history("it-missing");
  assert.equal(h.success, false);
  assert.match(h.error_message, /missing exchange rate: no VND rate on or before 2026-11-10/);
  await sql`delete from public.traffic_facebook_ads_raw where ad_id = 'ad-b2'`;
  feed.down = false;
  const [{ n }] = await sql`select count(*)::int as n from public.traffic_sync_locks`;
  assert.equal(n, 0, "the lock was released");
});

test("close the fake feed and the connection; resume the schedules", async () => {
  await resumeJobs();
  await feed.close();
  await sql.end();
});
