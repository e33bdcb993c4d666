/**
 * supabase-js clients as the functions use them: server-side, no session storage, no token
 * refresh. One place for the options so every function and script builds them alike.
 *
 * @module
 */
import { createClient, type SupabaseClient } from "./deps.ts";

/** Options for a server-side client: no persisted session, no refresh, no URL session. */
export const serverAuthOptions = {
  persistSession: false,
  autoRefreshToken: false,
  detectSessionInUrl: false,
} as const;

/** A client with the service-role key (bypasses RLS): for the sync and webhook writers only. */
export function createServiceClient(url: string, serviceRoleKey: string): SupabaseClient {
  return createClient(url, serviceRoleKey, { auth: serverAuthOptions });
}

/**
 * A client acting as the signed-in user behind `jwt` (the anon key as `apikey`, the user's JWT
 * as bearer), so PostgREST runs every query as that user and RLS decides.
 */
export function createUserClient(
  url: string,
  anonKey: string,
  jwt: string,
  fetchImpl: typeof fetch = fetch,
): SupabaseClient {
  return createClient(url, anonKey, {
    auth: serverAuthOptions,
    global: { headers: { Authorization: `Bearer ${jwt}` }, fetch: fetchImpl },
  });
}
