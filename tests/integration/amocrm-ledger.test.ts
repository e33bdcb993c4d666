/**
 * The sales ledger through amocrm-webhook on the local stack: won → lost, price changes, delete
 * and restore, prepayment → full, sequences delivered in many orders and twice, and the replay
 * of an event whose processing failed (by the admin call and by `npm run amocrm:replay`).
 */
import assert from "node:assert/strict";
import {
  drainPending,
  eventOf,
  iso,
  lead,
  leadBody,
  type LeadInput,
  mapPipeline,
  sale,
  send,
  uniqueId,
} from "../helpers/amocrm.ts";
import { db, stackEnv } from "../helpers/stack.ts";

const sql = db();
const opts = { sanitizeResources: false, sanitizeOps: false };
const PREPAY = 555001;

type Step = ["add" | "update" | "status" | "delete" | "restore", Omit<LeadInput, "id">];

/** Sends each step for `id`, in the given order; every answer must be 200. */
async function deliver(id: number, steps: Step[]): Promise<void> {
  for (const [action, fields] of steps) {
    const res = await send(leadBody(action, { id, ...fields }));
    assert.equal(res.status, 200, JSON.stringify(res.json));
  }
}

async function newPipeline(): Promise<number> {
  const pipeline = uniqueId();
  await mapPipeline(sql, pipeline, "challenge3d", [PREPAY]);
  return pipeline;
}

/** Every permutation of `xs` (Heap's algorithm). */
function permutations<T>(xs: T[]): T[][] {
  const out: T[][] = [];
  const a = [...xs];
  const c = a.map(() => 0);
  out.push([...a]);
  for (let i = 1; i < a.length;) {
    if (c[i] < i) {
      const j = i % 2 ? c[i] : 0;
      [a[j], a[i]] = [a[i], a[j]];
      out.push([...a]);
      c[i]++;
      i = 1;
    } else {
      c[i++] = 0;
    }
  }
  return out;
}

Deno.test({
  ...opts,
  name: "ledger: won then lost reverses the sale and drops it from the product view",
  fn: async () => {
    const pipeline = await newPipeline();
    const id = uniqueId();
    await deliver(id, [["status", { status: 142, pipeline, price: "200000", at: 10 }]]);
    assert.equal((await sale(sql, id)).status, "active");
    await deliver(id, [["status", { status: 143, pipeline, price: "200000", at: 20 }]]);
    assert.deepEqual(await sale(sql, id), {
      product: "challenge3d",
      sale_type: "full",
      sale_amount: "200000",
      sold_at: iso(10),
      status: "reversed",
      reversed_at: iso(20),
      reversal_reason: "lost",
      user_id: null,
      attributed_by: null,
    });
    const inView = await sql`select 1 from public.challenge3d_sales where amocrm_lead_id = ${id}`;
    assert.equal(inView.length, 0);
  },
});

Deno.test({
  ...opts,
  name: "ledger: a price change on a won deal updates the amount, not the sale date",
  fn: async () => {
    const pipeline = await newPipeline();
    const id = uniqueId();
    await deliver(id, [
      ["status", { status: 142, pipeline, price: "100000", at: 10 }],
      ["update", { status: 142, pipeline, price: "125000", at: 30 }],
    ]);
    const row = await sale(sql, id);
    assert.equal(row.sale_amount, "125000");
    assert.equal(row.sold_at, iso(10));
    assert.equal(row.status, "active");
  },
});

Deno.test({
  ...opts,
  name: "ledger: deleting a won deal reverses it; restoring it brings the sale back",
  fn: async () => {
    const pipeline = await newPipeline();
    const id = uniqueId();
    await deliver(id, [["status", { status: 142, pipeline, price: "70000", at: 10 }]]);
    await deliver(id, [["delete", { status: 142, pipeline }]]);
    const deleted = await sale(sql, id);
    assert.equal(deleted.status, "reversed");
    assert.equal(deleted.reversal_reason, "deleted");
    assert.ok(deleted.reversed_at);
    assert.equal((await lead(sql, id)).is_deleted, true);
    await deliver(id, [["restore", { status: 142, pipeline }]]);
    const restored = await sale(sql, id);
    assert.deepEqual(
      [restored.status, restored.reversed_at, restored.reversal_reason, restored.sale_amount],
      ["active", null, null, "70000"],
    );
    assert.equal((await lead(sql, id)).is_deleted, false);
  },
});

Deno.test({
  ...opts,
  name: "ledger: a prepayment status is a prepayment sale that becomes full on 142",
  fn: async () => {
    const pipeline = await newPipeline();
    const id = uniqueId();
    await deliver(id, [["status", { status: PREPAY, pipeline, price: "50000", at: 10 }]]);
    assert.deepEqual(
      [(await sale(sql, id)).sale_type, (await sale(sql, id)).sale_amount],
      ["prepayment", "50000"],
    );
    await deliver(id, [["status", { status: 142, pipeline, price: "150000", at: 20 }]]);
    const row = await sale(sql, id);
    assert.deepEqual([row.sale_type, row.sale_amount, row.sold_at], ["full", "150000", iso(20)]);
  },
});

/** A deal's life: new lead, prepayment, won, price change; then (optionally) lost. */
function life(pipeline: number, lost: boolean): Step[] {
  const steps: Step[] = [
    ["add", { status: 61234501, pipeline, price: "0", at: 0, utm: { source: "fb" } }],
    ["status", { status: PREPAY, pipeline, price: "50000", at: 60 }],
    ["status", { status: 142, pipeline, price: "150000", at: 120 }],
    ["update", { status: 142, pipeline, price: "160000", at: 180 }],
  ];
  if (lost) steps.push(["status", { status: 143, pipeline, price: "160000", at: 240 }]);
  return steps;
}

async function finalState(id: number) {
  const { product, sale_type, sale_amount, sold_at, status, reversed_at, reversal_reason } =
    await sale(sql, id);
  const l = await lead(sql, id);
  return {
    sale: { product, sale_type, sale_amount, sold_at, status, reversed_at, reversal_reason },
    lead: { status: l.status_id, price: l.price, deleted: l.is_deleted, utm: l.utm_source },
  };
}

Deno.test({
  ...opts,
  name: "ledger: all 24 delivery orders of a won deal's four events end in the same state",
  fn: async () => {
    const pipeline = await newPipeline();
    const steps = life(pipeline, false);
    const ordered = uniqueId();
    await deliver(ordered, steps);
    const expected = await finalState(ordered);
    assert.deepEqual(expected.sale, {
      product: "challenge3d",
      sale_type: "full",
      sale_amount: "160000",
      sold_at: iso(120),
      status: "active",
      reversed_at: null,
      reversal_reason: null,
    });
    for (const order of permutations(steps)) {
      const id = uniqueId();
      await deliver(id, order);
      assert.deepEqual(await finalState(id), expected, order.map((s) => s[1].at).join(","));
    }
  },
});

Deno.test({
  ...opts,
  name: "ledger: shuffled and repeated deliveries of won → lost end reversed, like in order",
  fn: async () => {
    const pipeline = await newPipeline();
    const steps = life(pipeline, true);
    const ordered = uniqueId();
    await deliver(ordered, steps);
    const expected = await finalState(ordered);
    assert.equal(expected.sale.status, "reversed");
    assert.equal(expected.sale.reversal_reason, "lost");
    assert.equal(expected.sale.reversed_at, iso(240));
    const orders = [
      [4, 3, 2, 1, 0],
      [2, 4, 0, 3, 1],
      [4, 0, 4, 2, 2, 1, 3],
      [1, 3, 0, 4, 2, 3, 1],
      [3, 2, 4, 1, 0, 0, 4],
      [0, 4, 1, 2, 3],
    ];
    for (const order of orders) {
      const id = uniqueId();
      await deliver(id, order.map((i) => steps[i]));
      assert.deepEqual(await finalState(id), expected, order.join(","));
    }
  },
});

Deno.test({
  ...opts,
  name: "ledger: delete and restore delivered in any order around a won deal end active",
  fn: async () => {
    const pipeline = await newPipeline();
    const steps: Step[] = [
      ["add", { status: 1, pipeline, price: "10", at: 0 }],
      ["status", { status: 142, pipeline, price: "90000", at: 30 }],
      ["delete", { status: 142, pipeline }],
      ["restore", { status: 142, pipeline }],
    ];
    const states = [];
    for (const order of permutations(steps)) {
      const id = uniqueId();
      await deliver(id, order);
      states.push(await finalState(id));
    }
    for (const s of states) assert.deepEqual(s, states[0]);
    assert.equal(states[0].sale.status, "active");
    assert.equal(states[0].lead.deleted, false);
  },
});

Deno.test({
  ...opts,
  name: "ledger: a deal's events delivered all at once, twice over, end like in order",
  fn: async () => {
    const pipeline = await newPipeline();
    const steps = life(pipeline, true);
    const ordered = uniqueId();
    await deliver(ordered, steps);
    const expected = await finalState(ordered);
    for (let round = 0; round < 3; round++) {
      const id = uniqueId();
      const answers = await Promise.all(
        [...steps, ...steps].map(([action, fields]) => send(leadBody(action, { id, ...fields }))),
      );
      assert.deepEqual(answers.map((a) => a.status), Array(10).fill(200));
      // Answered "pending" while another delivery was processing: drained right after.
      await drainPending(sql);
      assert.deepEqual(await finalState(id), expected, `round ${round}`);
    }
  },
});

/** Makes processing of one lead fail until `heal()` is called (a trigger that raises). */
async function breakLead(id: number) {
  const fn = `test_fail_${id}`;
  await sql.unsafe(`
    create function private.${fn}() returns trigger language plpgsql as $$
    begin raise exception 'simulated outage for lead %', new.amocrm_lead_id; end $$;
    create trigger ${fn} before insert or update on public.traffic_leads for each row
      when (new.amocrm_lead_id = ${id}) execute function private.${fn}();`);
  return {
    heal: () =>
      sql.unsafe(`drop trigger ${fn} on public.traffic_leads; drop function private.${fn}();`),
  };
}

Deno.test({
  ...opts,
  name: "ledger: a failed event is answered 200, recorded with its error, and replayed",
  fn: async () => {
    const pipeline = await newPipeline();
    const id = uniqueId();
    const outage = await breakLead(id);
    const body = leadBody("status", { id, status: 142, pipeline, price: "42000", at: 10 });
    const res = await send(body);
    assert.equal(res.status, 200);
    assert.equal(res.json.status, "failed");
    const failed = await eventOf(sql, body);
    assert.equal(failed.status, "failed");
    assert.match(failed.error, /simulated outage for lead/);
    assert.equal(await sale(sql, id), undefined);
    await outage.heal();
    const replay = await fetch(
      `${stackEnv().SUPABASE_URL}/functions/v1/amocrm-webhook?replay=failed`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${stackEnv().SUPABASE_SERVICE_ROLE_KEY}` },
      },
    );
    assert.equal(replay.status, 200);
    const { replay: summary } = await replay.json();
    assert.ok(summary.event_ids.includes(failed.id));
    const done = await eventOf(sql, body);
    assert.deepEqual([done.status, done.error, done.attempts], ["processed", null, 2]);
    assert.equal((await sale(sql, id)).sale_amount, "42000");
  },
});

Deno.test({
  ...opts,
  name:
    "ledger: scripts/amocrm-replay.ts (npm run amocrm:replay) reprocesses a failed event with the stack's service key",
  fn: async () => {
    const pipeline = await newPipeline();
    const id = uniqueId();
    const outage = await breakLead(id);
    const body = leadBody("add", { id, status: 1, pipeline, at: 10 });
    assert.equal((await send(body)).json.status, "failed");
    await outage.heal();
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "scripts/amocrm-replay.ts", "--limit", "1000"],
      env: {
        SUPABASE_URL: stackEnv().SUPABASE_URL,
        SUPABASE_SERVICE_ROLE_KEY: stackEnv().SUPABASE_SERVICE_ROLE_KEY,
      },
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(stdout, /processed/);
    assert.equal((await eventOf(sql, body)).status, "processed");
    assert.equal((await lead(sql, id)).product, "challenge3d");
  },
});

Deno.test({ ...opts, name: "ledger: close the connection", fn: () => sql.end() });
