/**
 * Whatever reaches amocrm-webhook with the right secret is kept, through the gateway on the
 * local stack: a JSON body (it used to be routed to the replay and answered 401, nothing stored),
 * and bodies Postgres text cannot hold (a NUL byte, invalid UTF-8: they used to be refused
 * unkept), which are stored byte for byte as base64.
 */
import assert from "node:assert/strict";
import { sha256Hex } from "../../supabase/functions/_shared/hash.ts";
import { leadBody, uniqueId, WEBHOOK_SECRET } from "../helpers/amocrm.ts";
import { db, stackEnv } from "../helpers/stack.ts";

const sql = db();
const opts = { sanitizeResources: false, sanitizeOps: false };

async function post(body: BodyInit, contentType: string) {
  const url = new URL(`${stackEnv().SUPABASE_URL}/functions/v1/amocrm-webhook`);
  url.searchParams.set("secret", WEBHOOK_SECRET);
  const res = await fetch(url, { method: "POST", headers: { "content-type": contentType }, body });
  return { status: res.status, json: await res.json() };
}

async function hex(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test({
  ...opts,
  name: "amocrm-webhook keeps a JSON body sent with the right secret (not routed to the replay)",
  fn: async () => {
    const form = leadBody("add", { id: uniqueId(), status: 1, at: 0 });
    const json = JSON.stringify({ leads: { add: [{ id: String(uniqueId()) }] }, n: uniqueId() });
    for (const body of [form, json]) {
      const res = await post(body, "application/json");
      assert.notEqual(res.status, 401, "not the replay");
      assert.ok([200, 400, 403].includes(res.status), JSON.stringify(res));
      const [row] = await sql`select status, content_type, raw_body_encoding, raw_body
        from public.traffic_amocrm_events where body_sha256 = ${await sha256Hex(body)}`;
      assert.ok(row, "stored");
      assert.equal(row.raw_body, body);
      assert.equal(row.content_type, "application/json");
      assert.ok(["processed", "ignored", "rejected"].includes(row.status), row.status);
    }
  },
});

Deno.test({
  ...opts,
  name: "amocrm-webhook keeps a body with a NUL byte or invalid UTF-8 as base64 (rejected, 400)",
  fn: async () => {
    const id = uniqueId();
    const enc = new TextEncoder();
    const bodies = [
      enc.encode(`leads[add][0][id]=${id}&leads[add][0][name]=a\u0000b`),
      new Uint8Array([...enc.encode(`leads[add][0][id]=${id}&x=`), 0xe0, 0xff, 0x41]),
    ];
    for (const bytes of bodies) {
      const res = await post(bytes, "application/x-www-form-urlencoded");
      assert.equal(res.status, 400);
      assert.equal((res.json.error as { code: string }).code, "invalid_webhook");
      const [row] = await sql`select status, error, raw_body_encoding,
          decode(raw_body, 'base64') as bytes
        from public.traffic_amocrm_events where body_sha256 = ${await hex(bytes)}`;
      assert.ok(row, "kept");
      assert.equal(row.status, "rejected");
      assert.equal(row.raw_body_encoding, "base64");
      assert.deepEqual(new Uint8Array(row.bytes), bytes, "byte for byte");
      assert.match(row.error, /NUL byte|not valid UTF-8/);
    }
    const again = await post(bodies[0], "application/x-www-form-urlencoded");
    assert.equal(again.status, 400);
    const [{ n }] = await sql`select count(*)::int as n from public.traffic_amocrm_events
      where body_sha256 = ${await hex(bodies[0])}`;
    assert.equal(n, 1, "a redelivery is stored once");
    await sql.end();
  },
});
