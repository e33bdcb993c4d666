/**
 * The local stack itself: real PostgREST behind the gateway with RLS, functions behind the
 * gateway with verify_jwt, pg_net delivering queued requests, and pg_cron present.
 */
import assert from "node:assert/strict";
import {
  anonClient,
  createUser,
  db,
  invokeFunction,
  serviceClient,
  stackEnv,
} from "../helpers/stack.ts";

const sql = db();

Deno.test({
  name: "stack: supabase-js gets exactly what RLS allows for anon, a user and the service key",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await sql.unsafe(`
      create table if not exists public.stack_probe (
        id bigserial primary key,
        owner uuid not null default auth.uid(),
        note text not null
      );
      alter table public.stack_probe enable row level security;
      drop policy if exists own_rows on public.stack_probe;
      create policy own_rows on public.stack_probe for select to authenticated
        using (owner = (select auth.uid()));
      revoke all on public.stack_probe from anon;
      notify pgrst, 'reload schema';
    `);
    const a = await createUser(sql);
    const b = await createUser(sql);
    await sql`insert into public.stack_probe (owner, note) values
      (${a.id}, 'a1'), (${a.id}, 'a2'), (${b.id}, 'b1')`;
    // PostgREST reloads its schema cache asynchronously after NOTIFY.
    let rowsA: { note: string }[] = [];
    for (let i = 0; i < 50; i++) {
      const r = await a.client.from("stack_probe").select("note").order("note");
      if (!r.error) {
        rowsA = r.data;
        break;
      }
      await new Promise((ok) => setTimeout(ok, 100));
    }
    assert.deepEqual(rowsA.map((r) => r.note), ["a1", "a2"]);
    const rowsB = await b.client.from("stack_probe").select("note");
    assert.deepEqual(rowsB.data?.map((r) => r.note), ["b1"]);
    const anon = await anonClient().from("stack_probe").select("note");
    assert.equal(anon.error?.code, "42501", "anon has no grant on the table");
    const all = await serviceClient().from("stack_probe").select("note").in("owner", [a.id, b.id]);
    assert.equal(all.data?.length, 3);
    await sql.unsafe(`drop table public.stack_probe; notify pgrst, 'reload schema';`);
  },
});

Deno.test("stack: the REST API needs an API key", async () => {
  const res = await fetch(`${stackEnv().SUPABASE_URL}/rest/v1/`);
  assert.equal(res.status, 401);
  await res.body?.cancel();
});

Deno.test("stack: traffic-api runs with verify_jwt off: /health is open, data routes verify the JWT themselves", async () => {
  const health = await invokeFunction("traffic-api", { path: "/health" });
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: "ok", database: "up" });
  const forged = await invokeFunction("traffic-api", {
    path: "/metrics",
    headers: { authorization: `Bearer ${stackEnv().SUPABASE_ANON_KEY.slice(0, -4)}AAAA` },
  });
  assert.equal(forged.status, 401);
  assert.equal((await forged.json()).error.code, "unauthorized", "the function's own answer");
  const anon = await invokeFunction("traffic-api", {
    path: "/metrics",
    headers: { authorization: `Bearer ${stackEnv().SUPABASE_ANON_KEY}` },
  });
  assert.equal(anon.status, 401, "a key is not a user");
  await anon.body?.cancel();
});

Deno.test({
  name:
    "stack: net.http_post queued in SQL is delivered and its response lands in net._http_response",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const url = `${stackEnv().SUPABASE_URL}/functions/v1/traffic-api/health`;
    const headers = { Authorization: `Bearer ${stackEnv().SUPABASE_ANON_KEY}` };
    const [{ id }] = await sql`select net.http_post(${url}, '{"hello":"world"}'::jsonb,
      '{}'::jsonb, ${sql.json(headers)}) as id`;
    let row: { status_code: number; content: string } | undefined;
    for (let i = 0; i < 100 && !row; i++) {
      [row] = await sql`select status_code, content from net._http_response where id = ${id}`;
      if (!row) await new Promise((ok) => setTimeout(ok, 100));
    }
    assert.ok(row, "a response row appears");
    // The function answered the POST itself: /health only takes GET.
    assert.equal(row.status_code, 405);
    assert.equal(JSON.parse(row.content).error.code, "method_not_allowed");
  },
});

Deno.test({
  name: "stack: pg_cron is installed and runs in the postgres database",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const [{ n }] =
      await sql`select count(*)::int as n from pg_extension where extname = 'pg_cron'`;
    assert.equal(n, 1);
    const [{ scheduler }] = await sql`select count(*)::int as scheduler from pg_stat_activity
      where application_name ilike 'pg_cron scheduler'`;
    assert.equal(scheduler, 1);
  },
});

Deno.test({
  name: "stack: close the shared connection",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await sql.end();
  },
});
