/**
 * amocrm-sync end to end: the real function on the test stack reads a loopback fake AmoCRM
 * account (tests/fakes/amocrm-api.ts, documented v4 shapes) and writes through PostgREST into
 * the same lead-event log the webhooks feed.
 */
import assert from "node:assert/strict";
import { lead, mapPipeline, sale, uniqueId } from "../helpers/amocrm.ts";
import {
  ago,
  deliver,
  invokeSync,
  pauseScheduledSync,
  resetSyncState,
  startFakeCrm,
  TOKEN,
} from "../helpers/amocrm-sync.ts";
import { db, stackEnv } from "../helpers/stack.ts";

const WON = 142;
const LOST = 143;
const NEW = 7001;

async function withCrm(fn: (ctx: Awaited<ReturnType<typeof setup>>) => Promise<void>) {
  const ctx = await setup();
  try {
    await fn(ctx);
  } finally {
    await ctx.close();
    await ctx.resume();
    await ctx.sql.end();
  }
}

async function setup() {
  const sql = db();
  // The tests count the fake account's requests: no scheduled run may read it meanwhile.
  const resume = await pauseScheduledSync(sql);
  await resetSyncState(sql);
  const pipeline = uniqueId();
  await mapPipeline(sql, pipeline, "express");
  const { crm, close } = startFakeCrm();
  return { sql, crm, close, pipeline, resume };
}

const paths = (crm: { requests: { path: string; status: number }[] }, path: string) =>
  crm.requests.filter((r) => r.path === path);

Deno.test("amocrm-sync: only service callers may run it (anon 403, no key 401)", async () => {
  const anon = await invokeSync(stackEnv().SUPABASE_ANON_KEY);
  assert.deepEqual(anon.status, 403);
  const none = await invokeSync(null);
  assert.deepEqual(none.status, 401);
  assert.deepEqual((none.json.error as { code: string }).code, "unauthorized");
});

Deno.test("amocrm-sync: pages through 520 changed leads and 130 events, restoring every dropped webhook", async () => {
  await withCrm(async ({ sql, crm, pipeline }) => {
    const ids: number[] = [];
    const [created, won] = [ago(40), ago(20)];
    for (let i = 0; i < 520; i++) {
      const id = uniqueId();
      ids.push(id);
      crm.create({
        id,
        at: created + i,
        status: NEW,
        pipeline,
        price: 1000 + i,
        utm: { source: "fb", content: `ad${i}` },
      });
      if (i < 130) crm.setStatus(id, won + i, WON);
    }
    const res = await invokeSync();
    assert.deepEqual(res.status, 200, res.text);
    assert.deepEqual(res.json.success, true);
    assert.deepEqual(res.json.leads_read, 520);
    assert.deepEqual(res.json.events_read, 130);
    assert.deepEqual(res.json.missed, 520);
    // 250 + 250 + the rest (the keyset cursor re-reads only the boundary second's leads).
    assert.deepEqual(paths(crm, "/api/v4/leads").length, 3);
    assert.deepEqual(paths(crm, "/api/v4/events").length, 2);
    const [{ n, sales, revenue }] = await sql`
      select count(*)::int as n,
        count(s.*) filter (where s.status = 'active')::int as sales,
        coalesce(sum(s.sale_amount) filter (where s.status = 'active'), 0)::text as revenue
      from public.traffic_leads l left join public.traffic_sales s using (amocrm_lead_id)
      where l.amocrm_lead_id = any (${ids})`;
    assert.deepEqual(n, 520);
    assert.deepEqual(sales, 130);
    // sum of 1000..1129
    assert.deepEqual(revenue, String(130 * 1000 + (129 * 130) / 2));
    const row = await lead(sql, ids[7]);
    assert.deepEqual(row.utm_content, "ad7");
    assert.deepEqual(row.price, "1007");
    const s = await sale(sql, ids[7]);
    assert.deepEqual(s.sold_at, new Date((won + 7) * 1000).toISOString().slice(0, 19));

    // Re-running changes nothing.
    const again = await invokeSync();
    assert.deepEqual(again.json.missed, 0);
    assert.deepEqual(again.json.leads_changed, 0);
    assert.deepEqual(again.json.sales_changed, 0);
    assert.deepEqual(again.json.events_inserted, 0);
  });
});

Deno.test("amocrm-sync: an empty account answers 204 No Content, which is an empty page", async () => {
  await withCrm(async ({ crm }) => {
    const res = await invokeSync();
    assert.deepEqual(res.status, 200, res.text);
    assert.deepEqual(res.json.leads_read, 0);
    assert.deepEqual(res.json.events_read, 0);
    assert.deepEqual(paths(crm, "/api/v4/leads").map((r) => r.status), [204]);
    assert.deepEqual(paths(crm, "/api/v4/events").map((r) => r.status), [204]);
  });
});

Deno.test("amocrm-sync: a 429 is waited out (Retry-After) and the page read again", async () => {
  await withCrm(async ({ sql, crm, pipeline }) => {
    const id = uniqueId();
    crm.create({ id, at: ago(3), status: WON, pipeline, price: 5000 });
    crm.faults.push({ status: 429, headers: { "retry-after": "1" }, path: "/api/v4/leads" });
    const res = await invokeSync();
    assert.deepEqual(res.status, 200, res.text);
    assert.deepEqual(paths(crm, "/api/v4/leads").map((r) => r.status), [429, 200]);
    assert.ok((res.json.waited_ms as number) >= 1000, `waited ${res.json.waited_ms} ms`);
    assert.deepEqual((await sale(sql, id)).status, "active");
  });
});

Deno.test("amocrm-sync: a 403 block is backed off once, a second one stops the run (502 amocrm_blocked)", async () => {
  await withCrm(async ({ crm }) => {
    crm.faults.push({ status: 403, path: "/api/v4/events" }, {
      status: 403,
      path: "/api/v4/events",
    });
    const res = await invokeSync();
    assert.deepEqual(res.status, 502);
    assert.deepEqual((res.json.error as { code: string }).code, "amocrm_blocked");
    assert.deepEqual(paths(crm, "/api/v4/events").map((r) => r.status), [403, 403]);
  });
});

Deno.test("amocrm-sync: a refused token (401) fails the run with 502, recorded, the token nowhere", async () => {
  await withCrm(async ({ sql, crm }) => {
    crm.token = "another-token";
    const res = await invokeSync();
    assert.deepEqual(res.status, 502);
    assert.deepEqual((res.json.error as { code: string }).code, "amocrm_unauthorized");
    assert.deepEqual(res.json.success, false);
    assert.ok(!res.text.includes(TOKEN), "the answer must not carry the token");
    const [row] = await sql`select success, error_message, details::text as details
      from public.traffic_sync_history where id = ${res.json.run_id as number}`;
    assert.deepEqual(row.success, false);
    assert.match(row.error_message, /401/);
    assert.ok(!row.details.includes(TOKEN) && !row.error_message.includes(TOKEN));
    const [state] = await sql`select to_jsonb(s)::text as s from private.amocrm_sync_state s`;
    assert.ok(!state.s.includes(TOKEN));
    // Only one request: a 401 is never retried.
    assert.deepEqual(crm.requests.length, 1);
  });
});

Deno.test("amocrm-sync: a lead changed during the run is read again, no lead is skipped", async () => {
  await withCrm(async ({ sql, crm, pipeline }) => {
    const ids: number[] = [];
    for (let i = 0; i < 300; i++) {
      const id = uniqueId();
      ids.push(id);
      crm.create({ id, at: ago(10) + i, status: NEW, pipeline, price: 100 });
    }
    let changed = false;
    crm.onRequest = (path, c) => {
      // Before the second leads page: a lead of page 1 is won, which moves it to the end.
      if (path === "/api/v4/leads" && paths(c, "/api/v4/leads").length === 1 && !changed) {
        changed = true;
        c.setStatus(ids[5], ago(0), WON);
      }
    };
    const res = await invokeSync();
    assert.deepEqual(res.status, 200, res.text);
    const [{ n }] = await sql`select count(*)::int as n from public.traffic_leads
      where amocrm_lead_id = any (${ids})`;
    assert.deepEqual(n, 300);
    assert.deepEqual((await sale(sql, ids[5])).status, "active");
    assert.deepEqual(res.json.leads_read, 301);
  });
});

Deno.test("amocrm-sync: a deletion and a restore done only in the CRM reverse and restore the sale", async () => {
  await withCrm(async ({ sql, crm, pipeline }) => {
    const id = uniqueId();
    crm.create({ id, at: ago(30), status: NEW, pipeline, price: 7000 });
    crm.setStatus(id, ago(29), WON);
    await deliver(crm.deliveries.map((d) => d.body));
    assert.deepEqual((await sale(sql, id)).status, "active");

    crm.delete(id, ago(5)); // its webhook never arrives
    const first = await invokeSync();
    assert.deepEqual(first.status, 200, first.text);
    assert.deepEqual((await lead(sql, id)).is_deleted, true);
    const gone = await sale(sql, id);
    assert.deepEqual([gone.status, gone.reversal_reason], ["reversed", "deleted"]);
    assert.deepEqual(first.json.missed, 1);

    crm.restore(id, ago(0)); // nor does this one
    const second = await invokeSync();
    assert.deepEqual(second.status, 200, second.text);
    assert.deepEqual((await lead(sql, id)).is_deleted, false);
    const back = await sale(sql, id);
    assert.deepEqual([back.status, back.sale_amount], ["active", "7000"]);
  });
});

Deno.test("amocrm-sync: a sale moved to lost only in the CRM is reversed; one lead, one ledger row", async () => {
  await withCrm(async ({ sql, crm, pipeline }) => {
    const id = uniqueId();
    crm.create({ id, at: ago(50), status: NEW, pipeline, price: 9000 });
    crm.setStatus(id, ago(49), WON);
    await deliver(crm.deliveries.map((d) => d.body));
    // Everything was delivered: the sync finds nothing to change.
    const quiet = await invokeSync();
    assert.deepEqual([quiet.json.missed, quiet.json.sales_changed], [0, 0]);

    const lostAt = ago(0);
    crm.setStatus(id, lostAt, LOST); // the status webhook is lost
    const res = await invokeSync();
    assert.deepEqual(res.status, 200, res.text);
    const s = await sale(sql, id);
    assert.deepEqual([s.status, s.reversal_reason, s.sale_amount], ["reversed", "lost", "9000"]);
    assert.deepEqual(s.reversed_at, new Date(lostAt * 1000).toISOString().slice(0, 19));
    const [{ leads, sales }] = await sql`select
        (select count(*) from public.traffic_leads where amocrm_lead_id = ${id})::int as leads,
        (select count(*) from public.traffic_sales where amocrm_lead_id = ${id})::int as sales`;
    assert.deepEqual([leads, sales], [1, 1]);
    const [h] = await sql`select sync_type, success, details from public.traffic_sync_history
      where id = ${res.json.run_id as number}`;
    assert.deepEqual([h.sync_type, h.success], ["amocrm", true]);
    assert.deepEqual(h.details.missed, 1);
    assert.ok(h.details.sales_changed >= 1 && h.details.leads_changed >= 1);

    // The late webhook finally arrives: nothing moves.
    await deliver([crm.deliveries.at(-1)!.body]);
    const late = await sale(sql, id);
    assert.deepEqual(late, s);
  });
});

Deno.test("amocrm-sync: disabled webhooks and an expiring token show in amocrm_sync_health, never the webhook secret", async () => {
  await withCrm(async ({ sql, crm }) => {
    crm.webhooks = [
      {
        id: 1,
        destination: "https://p.supabase.co/functions/v1/amocrm-webhook?secret=s3cr3t",
        disabled: true,
        settings: ["status_lead"],
      },
      { id: 2, destination: "https://other.example/hook", disabled: false, settings: ["add_lead"] },
    ];
    const res = await invokeSync();
    assert.deepEqual(res.status, 200, res.text);
    assert.ok(!res.text.includes("s3cr3t"));
    assert.deepEqual(res.json.webhooks, {
      total: 2,
      disabled: 1,
      disabled_destinations: ["https://p.supabase.co/functions/v1/amocrm-webhook"],
    });
    assert.ok((res.json.warnings as string[]).some((w) => /token expires in 1\d day/.test(w)));
    const [h] = await sql`select webhooks_total, webhooks_disabled, disabled_destinations,
        token_days_left from public.amocrm_sync_health()`;
    assert.deepEqual([h.webhooks_total, h.webhooks_disabled], [2, 1]);
    assert.ok(h.token_days_left >= 18 && h.token_days_left <= 20, `${h.token_days_left}`);
    const [{ raw }] = await sql`select webhooks::text as raw from private.amocrm_sync_state`;
    assert.ok(!raw.includes("s3cr3t"));
    // npm run status lists all three, with counts, and --strict fails on them.
    crm.create({ id: uniqueId(), at: ago(1), status: NEW, pipeline: 1, price: 1 });
    await invokeSync(); // one lead the webhooks never delivered
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-q", "-A", "scripts/status.ts", "--strict"],
      cwd: new URL("../../", import.meta.url),
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 1, text);
    assert.match(
      text,
      /AmoCRM kaspiacademy: 1 of 2 webhook\(s\) disabled \(https:\/\/p\.supabase\.co\/functions\/v1\/amocrm-webhook\)/,
    );
    assert.match(text, /AmoCRM kaspiacademy: the access token expires in 1\d day\(s\)/);
    assert.match(
      text,
      /AmoCRM kaspiacademy: the reconciliation restored \d+ lead\(s\) in the last 24 h that the webhooks missed \(1 in the last run, \d+ in total\)/,
    );
    assert.ok(!text.includes("s3cr3t"));
  });
});

Deno.test("npm run sync runs the reconciliation and prints what it restored; --skip-amocrm leaves it out", async () => {
  await withCrm(async ({ sql, crm, pipeline }) => {
    const id = uniqueId();
    crm.create({ id, at: ago(4), status: WON, pipeline, price: 12000 });
    const run = async (...args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-q",
          "-A",
          "scripts/sync.ts",
          "--skip-facebook",
          "--skip-aggregation",
          ...args,
        ],
        cwd: new URL("../../", import.meta.url),
        stdout: "piped",
        stderr: "piped",
      }).output();
      const dec = new TextDecoder();
      return { code: out.code, text: dec.decode(out.stdout) + dec.decode(out.stderr) };
    };
    // With facebook and aggregation skipped too, --skip-amocrm leaves nothing to do: refused
    // (exit 2, no run recorded; issue 12), and the reconciliation does not run.
    const skipped = await run("--skip-amocrm");
    assert.equal(skipped.code, 2, skipped.text);
    assert.match(skipped.text, /Nothing to do/);
    assert.ok(!skipped.text.includes("[AmoCRM]"), skipped.text);
    assert.equal(await sale(sql, id), undefined);

    const ran = await run();
    assert.equal(ran.code, 0, ran.text);
    assert.match(
      ran.text,
      /\[AmoCRM\] ✅ 1 changed leads and 0 events read in \d+ API calls: 1 leads and 1 sales changed, 1 restored/,
    );
    assert.equal((await sale(sql, id)).status, "active");
    const [h] = await sql`select details from public.traffic_sync_history
      where sync_type = 'amocrm' order by id desc limit 1`;
    assert.equal(h.details.missed, 1);
  });
});
