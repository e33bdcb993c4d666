/**
 * traffic_try_lock / traffic_release_lock through supabase.rpc, as the edge functions call them:
 * one holder per key across HTTP calls, service key only.
 */
import assert from "node:assert/strict";
import { anonClient, createUser, db, serviceClient } from "../helpers/stack.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

Deno.test({
  ...opts,
  name: "traffic_try_lock() gives one holder per key; traffic_release_lock() frees it",
  fn: async () => {
    const svc = serviceClient();
    const key = `lock-test-${crypto.randomUUID()}`;
    const first = await svc.rpc("traffic_try_lock", { p_key: key, p_ttl_seconds: 60 });
    assert.equal(first.error, null, first.error?.message);
    assert.match(first.data, /^[0-9a-f-]{36}$/, "a holder id");
    const second = await svc.rpc("traffic_try_lock", { p_key: key, p_ttl_seconds: 60 });
    assert.equal(second.data, null, "a second run is refused while the lease holds");
    const stranger = await svc.rpc("traffic_release_lock", {
      p_key: key,
      p_holder: crypto.randomUUID(),
    });
    assert.equal(stranger.data, false);
    const released = await svc.rpc("traffic_release_lock", { p_key: key, p_holder: first.data });
    assert.equal(released.data, true);
    const third = await svc.rpc("traffic_try_lock", { p_key: key, p_ttl_seconds: 60 });
    assert.match(third.data, /^[0-9a-f-]{36}$/, "free again after release");
    await svc.rpc("traffic_release_lock", { p_key: key, p_holder: third.data });
  },
});

Deno.test({
  ...opts,
  name: "traffic_try_lock() is refused to anon, users and admins",
  fn: async () => {
    const sql = db();
    try {
      const admin = await createUser(sql, { admin: true });
      for (const client of [anonClient(), admin.client]) {
        const r = await client.rpc("traffic_try_lock", { p_key: "lock-test", p_ttl_seconds: 60 });
        assert.equal(r.error?.code, "42501");
        assert.equal(r.data, null);
      }
      await sql`delete from auth.users where id = ${admin.id}`;
    } finally {
      await sql.end();
    }
  },
});
