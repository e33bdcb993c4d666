/**
 * Test helpers for the local stack: its environment (from `.stack/env` or the process env),
 * supabase-js clients for the anon key, the service key and a signed-in user, a direct Postgres
 * connection, and throwaway users with their own ids so tests never share data.
 *
 * @module
 */
import { createClient, type SupabaseClient } from "../../supabase/functions/_shared/deps.ts";
import {
  createServiceClient,
  createUserClient,
  serverAuthOptions,
} from "../../supabase/functions/_shared/supabase.ts";
import { postgres, type TransactionSql } from "../../scripts/lib/deps.ts";
import { userJwt } from "../../scripts/lib/jwt.ts";
import { loadStackEnv, type StackEnv } from "../../scripts/lib/stack-env.ts";

export type { StackEnv };

/** The running stack's environment; throws a clear message when the stack is not running. */
export function stackEnv(): StackEnv {
  return loadStackEnv([
    "SUPABASE_URL",
    "SUPABASE_ANON_KEY",
    "SUPABASE_SERVICE_ROLE_KEY",
    "SUPABASE_PUBLISHABLE_KEY",
    "SUPABASE_SECRET_KEY",
    "SUPABASE_DB_URL",
    "SUPABASE_JWT_SECRET",
  ]);
}

/** supabase-js with the anon key (a visitor who is not signed in). */
export function anonClient(): SupabaseClient {
  const env = stackEnv();
  return createClient(env.SUPABASE_URL, env.SUPABASE_ANON_KEY, { auth: serverAuthOptions });
}

/** supabase-js with the service-role key (bypasses RLS). */
export function serviceClient(): SupabaseClient {
  const env = stackEnv();
  return createServiceClient(env.SUPABASE_URL, env.SUPABASE_SERVICE_ROLE_KEY);
}

/** supabase-js acting as a signed-in user (the anon key as apikey, the user's JWT as bearer). */
export function userClient(jwt: string): SupabaseClient {
  const env = stackEnv();
  return createUserClient(env.SUPABASE_URL, env.SUPABASE_ANON_KEY, jwt);
}

/** A direct Postgres connection as the `postgres` superuser. Close it with `await sql.end()`. */
export function db() {
  return postgres(stackEnv().SUPABASE_DB_URL, { max: 2, onnotice: () => {} });
}

type Sql = ReturnType<typeof db>;

/**
 * Runs `body` while a transaction on one of `sql`'s connections holds whatever `take` locks (an
 * advisory lock, a lead's lock, a row): others who need it wait until `body` settles, when the
 * transaction ends and releases it. `body`'s own queries on `sql` use the other connection.
 */
export async function whileHolding<T>(
  sql: Sql,
  take: (tx: TransactionSql) => Promise<unknown>,
  body: () => Promise<T>,
): Promise<T> {
  return await sql.begin(async (tx) => {
    await take(tx);
    return await body();
  }) as T;
}

/** True when a backend running a statement that matches `query` waits for a lock `holder` holds. */
async function waitsOn(sql: Sql, holder: number, query: string): Promise<boolean> {
  const [{ waiting }] = await sql`select exists (select 1 from pg_stat_activity
    where ${holder}::int = any (pg_blocking_pids(pid)) and query ~ ${query}) as waiting`;
  return waiting;
}

/**
 * Resolves once a backend running a statement that matches `query` (a regular expression over
 * `pg_stat_activity.query`: the test's second writer, not a pg_cron job that happens to wait too)
 * is waiting for a lock that backend `holder` (a `pg_backend_pid()`) holds: the second writer has
 * reached the first one's row. Polls `pg_blocking_pids` (never a fixed sleep, which a busy machine
 * outlasts); throws after `ms`.
 */
export async function waitForWaiterOn(
  sql: Sql,
  holder: number,
  query: string,
  ms = 30_000,
): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await waitsOn(sql, holder, query)) return;
    await new Promise((ok) => setTimeout(ok, 20));
  }
  throw new Error(`no backend running /${query}/ waited for backend ${holder} within ${ms} ms`);
}

/**
 * Which comes first: a backend running a statement that matches `query` waits for a lock that
 * backend `holder` holds ("waited"), or `work` (that statement's promise) settles ("settled").
 * For a writer that must NOT wait for `holder`: on code where it waits, "waited" is certain
 * (the writer blocks until the holder ends, which the test does only after this returns); where
 * it does not, `work` settles. Polls like `waitForWaiterOn`, with no time limit of its own.
 */
export async function waitedOrSettled(
  sql: Sql,
  holder: number,
  query: string,
  work: Promise<unknown>,
): Promise<"waited" | "settled"> {
  let settled = false;
  work.then(() => settled = true, () => settled = true);
  while (!settled) {
    if (await waitsOn(sql, holder, query)) return "waited";
    await new Promise((ok) => setTimeout(ok, 20));
  }
  return "settled";
}

export interface TestUser {
  id: string;
  email: string;
  jwt: string;
  client: SupabaseClient;
}

/**
 * Creates a user in `auth.users` (as Supabase Auth would) and signs an access token for it.
 * `admin: true` puts `traffic_role = 'admin'` in the token's `app_metadata`.
 */
export async function createUser(
  sql: ReturnType<typeof db>,
  opts: { admin?: boolean; email?: string } = {},
): Promise<TestUser> {
  const id = crypto.randomUUID();
  const email = opts.email ?? `user-${id.slice(0, 8)}@example.test`;
  const appMetadata = opts.admin ? { traffic_role: "admin" } : {};
  await sql`insert into auth.users (id, email, raw_app_meta_data)
            values (${id}, ${email}, ${sql.json(appMetadata)})`;
  const jwt = await userJwt(stackEnv().SUPABASE_JWT_SECRET, { id, email, appMetadata });
  return { id, email, jwt, client: userClient(jwt) };
}

/** Calls a function through the gateway, as a client would. */
export async function invokeFunction(
  name: string,
  init: RequestInit & { path?: string; query?: Record<string, string> } = {},
): Promise<Response> {
  const env = stackEnv();
  const url = new URL(`${env.SUPABASE_URL}/functions/v1/${name}${init.path ?? ""}`);
  for (const [k, v] of Object.entries(init.query ?? {})) url.searchParams.set(k, v);
  return await fetch(url, init);
}
