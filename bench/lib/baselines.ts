/**
 * The tables the bench-only baseline functions (bench/functions/) read and write, created on the
 * bench stack only (never a migration): `public.bench_tiny`, one row readable by any signed-in
 * user (RLS on, so PostgREST applies a policy as it does for traffic-api's tables), and
 * `public.bench_inserts`, where `bare-insert` stores each body.
 *
 * @module
 */
import type { postgres } from "../../scripts/lib/deps.ts";

type Sql = ReturnType<typeof postgres>;

/** Creates the baseline tables (idempotent) and waits until PostgREST serves them. */
export async function prepareBaselines(sql: Sql, url: string, anonKey: string): Promise<void> {
  await sql.unsafe(`
    create table if not exists public.bench_tiny (id int primary key, note text not null);
    insert into public.bench_tiny values (1, 'tiny') on conflict do nothing;
    alter table public.bench_tiny enable row level security;
    drop policy if exists "bench: any signed-in user" on public.bench_tiny;
    create policy "bench: any signed-in user" on public.bench_tiny for select to authenticated
      using (true);
    revoke all on public.bench_tiny from anon;
    create table if not exists public.bench_inserts (
      id bigint generated always as identity primary key,
      body text not null,
      received_at timestamptz not null default now()
    );
    alter table public.bench_inserts enable row level security;
    revoke all on public.bench_inserts from anon, authenticated;
    notify pgrst, 'reload schema';
  `);
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${url}/rest/v1/bench_inserts?select=id&limit=0`, {
      headers: { apikey: anonKey },
    });
    await res.arrayBuffer();
    // anon has no grant: 401/403 once PostgREST knows the table, 404 before.
    if (res.status !== 404) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("PostgREST did not pick up the bench tables");
}

/**
 * `clear()` retried while it deadlocks: the functions may still be finishing requests of the run
 * before (wrk stops sending, the function does not stop working), and a truncate taking their
 * tables then meets their row locks in the other order.
 */
export async function retryDeadlock(clear: () => Promise<void>): Promise<void> {
  for (let attempt = 1;; attempt++) {
    try {
      return await clear();
    } catch (err) {
      if ((err as { code?: string }).code !== "40P01" || attempt >= 10) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
